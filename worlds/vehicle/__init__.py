"""Vehicle: a car's engine, doors, brakes, climate, lights and navigation (BFCL's VehicleControlAPI)."""
