"""The application: settings, runtime wiring, the ASGI app and its routes, serving."""
