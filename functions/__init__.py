"""One module per verb of the events API; each defines the Cloud Function entry point of its name."""
