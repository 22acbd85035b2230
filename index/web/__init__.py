"""Articles from the web: feeds, sitemaps and pages, fetched politely and read with trafilatura."""
