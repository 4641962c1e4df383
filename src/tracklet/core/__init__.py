"""Pure building blocks: records, validation, step rules, summaries, downsampling.

Nothing here touches files, sockets, threads or the clock; callers pass time and randomness in.
"""
