"""Ingest: the feeds and their new pages become stored articles.

reading    the orchestrator's reading half: runs the stages below, owns their error policy
fetch      bounded, polite HTTP (conditional GET, deadlines, size caps, redirects by hand)
failures   a host's request to wait, and a failure's kind, told by its exception's class
netguard   the transport that refuses private addresses, checked at connect time
feeds      RSS, Atom, RDF and JSON Feed to entries
extract    a page's article text, title, author and date (trafilatura)
pool       pages extracted in worker processes beside the run's own
dedupe     the same story at two URLs, or one syndicated text, is one article
health     a failing feed's backoff, and how its health reads
urls       canonical URLs and article ids
"""
