"""The local services of a platform (PostgreSQL, MinIO, Redis, ElasticMQ) as labelled Docker containers.

Import the module you need (`services.manager`, `services.probes`, …): reading credentials or specs must not load
the Docker, PostgreSQL and MinIO clients.
"""
