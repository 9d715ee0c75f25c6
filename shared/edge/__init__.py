"""The HTTP edge every function shares: the route table, the endpoint decorator and its request
context, how callers authenticate (users' tokens, the scheduler's OIDC token), the steps that run
before a handler (idempotency), CORS and structured logs."""
