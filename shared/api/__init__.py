"""The API's wire formats: query parameters, request bodies, cursors and the response shapes."""
