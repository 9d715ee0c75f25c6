"""The event model, free of wire formats: the event and its list position, the filter that selects
events, the changes operators make, who acted (actors) and what a caller may see (scope)."""
