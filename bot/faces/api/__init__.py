"""The HTTP API face (``python run.py serve``): FastAPI routes over the same engine and store as the bot.

* :mod:`~bot.faces.api.app`: the routes and :func:`create_app`;
* :mod:`~bot.faces.api.models`: the pydantic models of every body (and so the OpenAPI schema);
* :mod:`~bot.faces.api.gate`: body size, key, scope, rate limit and use counts, before a route runs;
  and the one log line per request;
* :mod:`~bot.faces.api.keys`: making, listing, revoking and checking API keys;
* :mod:`~bot.faces.api.runtime`: one worker's event loop, limiter, use counts and sync loop;
* :mod:`~bot.faces.api.errors`: every error as ``{"error": {"code", "message"}}``;
* :mod:`~bot.faces.api.serve`: uvicorn with N worker processes.
"""
