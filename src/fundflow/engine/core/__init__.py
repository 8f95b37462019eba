"""The route life cycle and what every mechanism builds on: the compiled engine's
state (:mod:`.state`), the route's phases, reviews and ends in each engine."""
