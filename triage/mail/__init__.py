"""Email handling: MIME parsing, loop and noise detection, threading, quote stripping."""
