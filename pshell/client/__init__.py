"""Client side of remoting: the PSSession model, fan-out, file copy, connection reuse."""
