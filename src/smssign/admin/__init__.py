"""The admin HTTP API: JSON routes and their OpenAPI document."""
