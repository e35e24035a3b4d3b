"""Evaluation methods: weights (AHP, entropy, CRITIC, CV, Delphi), applying weights to a system,
composite index against targets, alternative rankings and rank sensitivity.

numpy arrays in, plain dataclasses out; no web imports. The scoring engine stays the one place that turns
points and inputs into scores: these methods produce weights, points and rankings around it.
"""
