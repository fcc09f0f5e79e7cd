"""The platform verifier: a pytest plugin plus the check library its tests call."""
