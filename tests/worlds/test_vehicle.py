"""VehicleControlAPI: the car's controls, its seeded readings, its schema and data against BFCL's, and the reference's lines."""

from __future__ import annotations

import json

import pytest
from bfcl_partial import class_differences, reference_cases, schema_differences

from worlds.vehicle.service import VehicleControlAPI
from worlds.vehicle.tables import DISTANCES, LIMITS, NEAREST_TIRE_SHOP, UNKNOWN_ZIPCODE, ZIPCODES

ALL_DOORS = ["driver", "passenger", "rear_left", "rear_right"]


@pytest.fixture
def car() -> VehicleControlAPI:
    service = VehicleControlAPI()
    service.load_scenario({})
    return service


@pytest.fixture
def ready(car: VehicleControlAPI) -> VehicleControlAPI:
    """Doors locked and the brake fully pressed: ready to start."""
    car.lockDoors(False, ALL_DOORS)
    car.pressBrakePedal(1)
    return car


def test_default_state_hides_brake_forces_and_slope(car):
    state = car.state()
    assert "brakePedalForce" not in state and "random_seed" not in state
    assert (state["engine_state"], state["remainingUnlockedDoors"], state["destination"]) == ("stopped", 4, "None")
    assert state["long_context"] is False


def test_scenario_names_map_to_attributes_and_unlocked_doors_are_derived(car):
    car.load_scenario({"engineState": "running", "brakePedalForce": 1000.0, "remainingUnlockedDoors": 4,
                       "doorStatus": {"driver": "locked", "passenger": "locked", "rear_left": "unlocked", "rear_right": "locked"}})
    assert (car.engine_state, car.remainingUnlockedDoors) == ("running", 1)
    assert car.displayCarStatus("brakePedal") == {"brakePedalStatus": "released", "brakePedalForce": 1000.0}


def test_start_needs_locked_doors_then_a_fully_pressed_brake(car):
    assert car.startEngine("START") == {
        "error": "All doors must be locked before starting the engine. Here are the unlocked doors: driver, passenger, rear_left, rear_right"
    }
    car.lockDoors(False, ALL_DOORS)
    assert car.startEngine("START") == {"error": "Brake pedal needs to be pressed when starting the engine."}
    car.pressBrakePedal(0.5)
    assert car.startEngine("START") == {"error": "Must press the brake fully before starting the engine."}
    car.pressBrakePedal(1)
    assert car.startEngine("START") == {"engineState": "running", "fuelLevel": 0.0, "batteryVoltage": 12.6}


def test_stop_stops_then_reports_an_invalid_mode(ready):
    ready.startEngine("START")
    assert ready.startEngine("STOP") == {"error": "Invalid ignition mode."}
    assert ready.engine_state == "stopped"


def test_lock_doors_counts_changes_and_unknown_door_fails_part_way(car):
    assert car.lockDoors(False, ["driver", "driver"]) == {"lockStatus": "locked", "remainingUnlockedDoors": 3}
    assert car.lockDoors(True, ["driver", "passenger"]) == {"lockStatus": "unlocked", "remainingUnlockedDoors": 4}
    result = car.invoke("lockDoors", {"unlock": False, "door": ["rear_left", "trunk"]})
    assert result.value == "Error during execution: 'trunk'"
    assert car.doorStatus["rear_left"] == "locked"


def test_fuel_tank_limits(car):
    assert car.fillFuelTank(-1) == {"error": "Fuel amount cannot be negative."}
    assert car.fillFuelTank(51) == {"error": "Cannot fill gas above the tank capacity."}
    assert car.fillFuelTank(20) == {"fuelLevel": 20.0}
    assert car.estimate_drive_feasibility_by_mileage(400) == {"canDrive": True}
    assert car.estimate_drive_feasibility_by_mileage(401) == {"canDrive": False}


def test_climate_reports_given_temperature_but_stores_celsius(car):
    assert car.adjustClimateControl(68, "fahrenheit") == {"currentACTemperature": 68, "climateMode": "auto", "humidityLevel": 50.0}
    assert car.acTemperature == 20.0
    assert car.adjustClimateControl(20, fanSpeed=101) == {"error": "Fan speed must be between 0 and 100."}


def test_readings_come_from_the_seeded_generator_in_call_order(car):
    first = car.get_outside_temperature_from_google()["outsideTemperature"]
    speed = car.get_current_speed()["currentSpeed"]
    again = VehicleControlAPI()
    again.load_scenario({})
    assert again.get_outside_temperature_from_google()["outsideTemperature"] == first
    assert again.get_current_speed()["currentSpeed"] == speed
    assert -10.0 <= first <= 40.0 and 0.0 <= speed <= 120.0
    assert car.get_outside_temperature_from_weather_com() == {"error": 404}


def test_headlights_auto_means_off(car):
    assert car.setHeadlights("on") == {"headlightStatus": "on"}
    assert car.setHeadlights("auto") == {"headlightStatus": "off"}
    assert car.setHeadlights("dim") == {"error": "Invalid headlight mode."}


def test_parking_brake_reports_private_fields(car):
    assert car.activateParkingBrake("engage") == {"parkingBrakeStatus": "engaged", "_parkingBrakeForce": 500.0, "_slopeAngle": 10.0}
    assert car.activateParkingBrake("release") == {"parkingBrakeStatus": "released", "_parkingBrakeForce": 0.0, "_slopeAngle": 10.0}
    assert car.activateParkingBrake("hold") == {"error": "Invalid mode"}


def test_brake_pedal(car):
    assert car.pressBrakePedal(1.5) == {"error": "Pedal position must be between 0 and 1."}
    assert car.pressBrakePedal(0.3) == {"brakePedalStatus": "pressed", "brakePedalForce": 300.0}
    assert car.pressBrakePedal(0) == {"brakePedalStatus": "released", "brakePedalForce": 0.0}


def test_cruise_control_needs_the_engine_and_keeps_the_distance_of_a_refused_speed(ready):
    assert ready.setCruiseControl(60, True, 100) == {"error": "Start the engine before activating the cruise control."}
    ready.startEngine("START")
    assert ready.setCruiseControl(62, True, 80) == {"error": "Invalid speed"}
    assert (ready.cruiseStatus, ready.distanceToNextVehicle) == ("inactive", 80.0)
    assert ready.setCruiseControl(65, True, 40) == {"cruiseStatus": "active", "currentSpeed": 65.0, "distanceToNextVehicle": 40.0}


def test_display_status_options(car):
    assert car.displayCarStatus("doors") == {"doorStatus": car.doorStatus}
    assert car.displayCarStatus("climate") == {"currentACTemperature": 25.0, "fanSpeed": 50, "climateMode": "auto", "humidityLevel": 50.0}
    assert car.displayCarStatus("radio") == {"error": "Invalid option"}


def test_tires_and_roads(car):
    assert car.check_tire_pressure()["healthy_tire_pressure"] is True
    car.frontLeftTirePressure = 10.0
    assert car.check_tire_pressure()["healthy_tire_pressure"] is False
    assert car.estimate_distance("74532", "83214") == {"distance": 750.0}
    assert car.estimate_distance("83214", "83214") == {"error": "distance not found in database."}
    assert car.get_zipcode_based_on_city("Atlantis") == {"zipcode": "00000"}
    assert car.set_navigation("1 Main St, Rivermist, CA") == {"status": "Navigating to 1 Main St, Rivermist, CA"}


def test_tools_yaml_agrees_with_bfcl_func_doc(bfcl_dir):
    assert schema_differences(VehicleControlAPI, bfcl_dir / "multi_turn_func_doc" / "vehicle_control.json") == []


def test_tables_agree_with_bfcl_facts(bfcl_dir):
    facts = json.loads((bfcl_dir / "facts.json").read_text(encoding="utf-8"))
    zipcodes = dict(facts["vehicle.get_zipcode_based_on_city"])
    otherwise = zipcodes.pop("_otherwise")
    assert (ZIPCODES, UNKNOWN_ZIPCODE) == (zipcodes, otherwise)
    assert DISTANCES == {frozenset((row["a"], row["b"])): row["distance"] for row in facts["vehicle.estimate_distance.zip_pairs_symmetric"]}
    constants = facts["vehicle.constants"]
    assert (LIMITS["max_fuel"], LIMITS["min_fuel"], LIMITS["miles_per_gallon"]) == (
        constants["MAX_FUEL_LEVEL"], constants["MIN_FUEL_LEVEL"], constants["MILE_PER_GALLON"])
    assert NEAREST_TIRE_SHOP == constants["find_nearest_tire_shop"]["shopLocation"]
    defaults = facts["default_states"]["VehicleControlAPI"]
    public = {k: v for k, v in defaults.items() if not k.startswith("_") and k not in ("random_seed", "brakePedalForce")}
    assert VehicleControlAPI().state() == {**public, "long_context": False}


def test_reference_entries_replay(bfcl_dir):
    cases = reference_cases(bfcl_dir, "VehicleControlAPI")
    assert cases
    assert [d for case in cases for d in class_differences(VehicleControlAPI, *case)] == []
