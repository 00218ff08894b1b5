"""The service's routers: predict, health, the current model, and the API docs."""
