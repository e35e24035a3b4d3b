"""Operations: the in-process task backend, the health check, crash-safety housekeeping."""
