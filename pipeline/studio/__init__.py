"""The studio: review, fix and approve every language of a job in the browser (``subpipe studio``)."""
