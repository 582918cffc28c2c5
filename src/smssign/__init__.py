"""smssign: a self-hostable SMS signature service that speaks the providers' wire protocols."""

__version__ = "0.1.0"
