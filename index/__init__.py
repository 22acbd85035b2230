"""What newsbot knows: articles read, cleaned, chunked, embedded, stored in Chroma and searched."""
