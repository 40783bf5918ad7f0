"""The sandbox API server's HTTP layer below the router: discovery documents, the HTTP exchange and
the resource handlers. ``sandbox.server`` routes URLs to them."""
