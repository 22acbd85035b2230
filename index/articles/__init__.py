"""Reading articles: files and records read, cleaned, chunked and split into sentences, and grouped into stories."""
