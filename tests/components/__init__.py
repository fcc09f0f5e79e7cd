"""Real components the test suite starts itself: Docker engine, service containers, a Kubernetes control plane."""
