"""``simtool serve``: a simulated world behind a Model Context Protocol server.

:mod:`simtool.serve.run` holds what a request does to the run (transport-free and
testable on its own); :mod:`simtool.serve.mcp_server` puts it behind the official ``mcp``
SDK over stdio or streamable HTTP; :mod:`simtool.serve.cli` is the command.
"""
