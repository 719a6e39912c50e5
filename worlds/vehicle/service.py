"""VehicleControlAPI: one car's engine, doors, brakes, climate, lights, cruise control and navigation.

Behaviour, result shapes and messages follow the BFCL reference backend (``vehicle_control``).
The car's readings that are not state (outside temperature, current speed) are drawn from
the instance's own seeded generator, in call order, as the reference draws them. The brake
forces and the slope angle are private in the reference, so they are here too: they are
not compared as state, though ``displayCarStatus`` and ``startEngine`` read them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simtool.service import Service, ServiceContext, plain_copy
from worlds.vehicle.tables import (
    DEFAULT_SEED,
    DISTANCES,
    LIMITS,
    NEAREST_TIRE_SHOP,
    UNITS,
    UNKNOWN_ZIPCODE,
    ZIPCODES,
    default_state,
)

__all__ = ["VehicleControlAPI"]

_DOOR_COUNT = 4  # remainingUnlockedDoors counts down from four, whatever doorStatus lists
# Scenario keys stored under another attribute name (the others are stored as named).
_ATTRIBUTE = {
    "engineState": "engine_state",
    "parkingBrakeForce": "_parkingBrakeForce",
    "slopeAngle": "_slopeAngle",
    "brakePedalForce": "_brakePedalForce",
}
_HEADLIGHT_MODES = ("on", "off", "auto")
_PARKING_BRAKE_MODES = ("engage", "release")


class VehicleControlAPI(Service):
    """The car's public readings (fuel, doors, climate, lights, brakes, cruise, tires, destination)."""

    name = "VehicleControlAPI"
    domain = "vehicle"
    schema_path = Path(__file__).with_name("tools.yaml")

    def __init__(self, ctx: ServiceContext | None = None) -> None:
        super().__init__(ctx)
        self.fuelLevel: float = 0.0
        self.batteryVoltage: float = 0.0
        self.engine_state: str = "stopped"
        self.remainingUnlockedDoors: int = _DOOR_COUNT
        self.doorStatus: dict[str, str] = {}
        self.acTemperature: float = 0.0
        self.fanSpeed: int = 0
        self.acMode: str = ""
        self.humidityLevel: float = 0.0
        self.headLightStatus: str = "off"
        self.parkingBrakeStatus: str = "released"
        self.brakePedalStatus: str = "released"
        self.distanceToNextVehicle: float = 0.0
        self.cruiseStatus: str = "inactive"
        self.destination: str = "None"
        self.frontLeftTirePressure: float = 0.0
        self.frontRightTirePressure: float = 0.0
        self.rearLeftTirePressure: float = 0.0
        self.rearRightTirePressure: float = 0.0
        # Public in the reference (so part of the compared state); this service has no long-context mode.
        self.long_context: bool = False
        self._parkingBrakeForce: float = 0.0
        self._slopeAngle: float = 0.0
        self._brakePedalForce: float = 0.0
        self._random: random.Random  # seeded by load_scenario (the reference's instance-local generator)
        self.load_scenario({})

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        seed = scenario.get("random_seed", DEFAULT_SEED)
        self._random = random.Random(seed)  # deterministic: instance-local seeded generator, as the reference
        for key, default in default_state().items():
            setattr(self, _ATTRIBUTE.get(key, key), plain_copy(scenario[key]) if key in scenario else default)
        # Derived from the doors, never read from the scenario, as the reference does.
        self.remainingUnlockedDoors = _DOOR_COUNT - sum(1 for s in self.doorStatus.values() if s == "locked")
        self.long_context = False

    # -- engine and fuel -------------------------------------------------------------------

    def startEngine(self, ignitionMode: str) -> dict[str, Any]:
        # "STOP" stops the engine at once, yet still runs the checks below and ends in an error.
        if ignitionMode == "STOP":
            self.engine_state = "stopped"
        if self.remainingUnlockedDoors > 0:
            unlocked = ", ".join(door for door, status in self.doorStatus.items() if status == "unlocked")
            return {"error": f"All doors must be locked before starting the engine. Here are the unlocked doors: {unlocked}"}
        if self.brakePedalStatus != "pressed":
            return {"error": "Brake pedal needs to be pressed when starting the engine."}
        if self._brakePedalForce != LIMITS["full_brake_force"]:
            return {"error": "Must press the brake fully before starting the engine."}
        if self.fuelLevel < LIMITS["min_fuel"]:
            return {"error": "Fuel tank is empty."}
        if ignitionMode != "START":
            return {"error": "Invalid ignition mode."}
        self.engine_state = "running"
        return {"engineState": self.engine_state, "fuelLevel": self.fuelLevel, "batteryVoltage": self.batteryVoltage}

    def fillFuelTank(self, fuelAmount: float) -> dict[str, Any]:
        if fuelAmount < 0:
            return {"error": "Fuel amount cannot be negative."}
        if self.fuelLevel + fuelAmount > LIMITS["max_fuel"]:
            return {"error": "Cannot fill gas above the tank capacity."}
        if self.fuelLevel + fuelAmount < LIMITS["min_fuel"]:
            return {"error": "Fuel tank is empty. Min fuel level is 0 gallons."}
        self.fuelLevel += fuelAmount
        return {"fuelLevel": self.fuelLevel}

    def estimate_drive_feasibility_by_mileage(self, distance: float) -> dict[str, bool]:
        return {"canDrive": self.fuelLevel * LIMITS["miles_per_gallon"] >= distance}

    # -- doors, climate, lights ------------------------------------------------------------

    def lockDoors(self, unlock: bool, door: list[str]) -> dict[str, Any]:
        # An unknown door name raises KeyError part-way, after the doors before it changed.
        wanted = "unlocked" if unlock else "locked"
        for name in door:
            if self.doorStatus[name] != wanted:
                self.doorStatus[name] = wanted
                self.remainingUnlockedDoors += 1 if unlock else -1
        return {"lockStatus": wanted, "remainingUnlockedDoors": self.remainingUnlockedDoors}

    def adjustClimateControl(
        self, temperature: float, unit: str = "celsius", fanSpeed: int = 50, mode: str = "auto"
    ) -> dict[str, Any]:
        if not 0 <= fanSpeed <= LIMITS["max_fan_speed"]:
            return {"error": "Fan speed must be between 0 and 100."}
        self.acTemperature = (temperature - 32) * 5 / 9 if unit == "fahrenheit" else temperature
        self.fanSpeed = fanSpeed
        self.acMode = mode
        # Reports the temperature as given, not the Celsius value stored.
        return {"currentACTemperature": temperature, "climateMode": mode, "humidityLevel": self.humidityLevel}

    def get_outside_temperature_from_google(self) -> dict[str, float]:
        return {"outsideTemperature": self._random.uniform(-10.0, 40.0)}  # deterministic: instance-local seeded generator, as the reference

    def get_outside_temperature_from_weather_com(self) -> dict[str, int]:
        # This source is always down in the reference.
        return {"error": 404}

    def setHeadlights(self, mode: str) -> dict[str, str]:
        if mode not in _HEADLIGHT_MODES:
            return {"error": "Invalid headlight mode."}
        # "auto" turns the lights off.
        self.headLightStatus = "on" if mode == "on" else "off"
        return {"headlightStatus": self.headLightStatus}

    def displayCarStatus(self, option: str) -> dict[str, Any]:
        readings = {
            "fuel": lambda: {"fuelLevel": self.fuelLevel},
            "battery": lambda: {"batteryVoltage": self.batteryVoltage},
            "doors": lambda: {"doorStatus": self.doorStatus},
            "climate": lambda: {
                "currentACTemperature": self.acTemperature,
                "fanSpeed": self.fanSpeed,
                "climateMode": self.acMode,
                "humidityLevel": self.humidityLevel,
            },
            "headlights": lambda: {"headlightStatus": self.headLightStatus},
            "parkingBrake": lambda: {
                "parkingBrakeStatus": self.parkingBrakeStatus,
                "parkingBrakeForce": self._parkingBrakeForce,
                "slopeAngle": self._slopeAngle,
            },
            "brakePedal": lambda: {"brakePedalStatus": self.brakePedalStatus, "brakePedalForce": self._brakePedalForce},
            "engine": lambda: {"engineState": self.engine_state},
        }
        reading = readings.get(option)
        return reading() if reading else {"error": "Invalid option"}

    # -- brakes and cruise control ---------------------------------------------------------

    def activateParkingBrake(self, mode: str) -> dict[str, Any]:
        if mode not in _PARKING_BRAKE_MODES:
            return {"error": "Invalid mode"}
        engage = mode == "engage"
        self.parkingBrakeStatus = "engaged" if engage else "released"
        self._parkingBrakeForce = LIMITS["parked_brake_force"] if engage else 0.0
        # The reference sets the slope to the same angle whether engaging or releasing.
        self._slopeAngle = LIMITS["parked_slope_angle"]
        return {
            "parkingBrakeStatus": self.parkingBrakeStatus,
            "_parkingBrakeForce": self._parkingBrakeForce,
            "_slopeAngle": self._slopeAngle,
        }

    def pressBrakePedal(self, pedalPosition: float) -> dict[str, Any]:
        if not 0 <= pedalPosition <= 1:
            return {"error": "Pedal position must be between 0 and 1."}
        if pedalPosition == 0:
            return self.releaseBrakePedal()
        self.brakePedalStatus = "pressed"
        self._brakePedalForce = pedalPosition * LIMITS["full_brake_force"]
        return {"brakePedalStatus": "pressed", "brakePedalForce": float(self._brakePedalForce)}

    def releaseBrakePedal(self) -> dict[str, Any]:
        self.brakePedalStatus = "released"
        self._brakePedalForce = 0.0
        return {"brakePedalStatus": "released", "brakePedalForce": 0.0}

    def setCruiseControl(self, speed: float, activate: bool, distanceToNextVehicle: float) -> dict[str, Any]:
        if self.engine_state == "stopped":
            return {"error": "Start the engine before activating the cruise control."}
        # The following distance is taken even when the speed is then refused.
        self.distanceToNextVehicle = float(distanceToNextVehicle)
        if activate:
            if speed < 0 or speed > LIMITS["max_cruise_speed"] or speed % LIMITS["cruise_speed_step"] != 0:
                return {"error": "Invalid speed"}
            self.cruiseStatus = "active"
        else:
            self.cruiseStatus = "inactive"
        return {"cruiseStatus": self.cruiseStatus, "currentSpeed": float(speed), "distanceToNextVehicle": self.distanceToNextVehicle}

    def get_current_speed(self) -> dict[str, float]:
        return {"currentSpeed": self._random.uniform(0.0, 120.0)}  # deterministic: instance-local seeded generator, as the reference

    # -- tires -----------------------------------------------------------------------------

    def check_tire_pressure(self) -> dict[str, Any]:
        tires = {
            "frontLeftTirePressure": self.frontLeftTirePressure,
            "frontRightTirePressure": self.frontRightTirePressure,
            "rearLeftTirePressure": self.rearLeftTirePressure,
            "rearRightTirePressure": self.rearRightTirePressure,
        }
        low, high = LIMITS["healthy_tire_pressure"]
        healthy = low <= sum(tires.values()) / len(tires) <= high
        return {**tires, "healthy_tire_pressure": healthy, "car_info": {}}

    def find_nearest_tire_shop(self) -> dict[str, str]:
        return {"shopLocation": NEAREST_TIRE_SHOP}

    # -- navigation and units --------------------------------------------------------------

    def set_navigation(self, destination: str) -> dict[str, str]:
        self.destination = destination
        return {"status": "Navigating to " + destination}

    def get_zipcode_based_on_city(self, city: str) -> dict[str, str]:
        return {"zipcode": ZIPCODES.get(city, UNKNOWN_ZIPCODE)}

    def estimate_distance(self, cityA: str, cityB: str) -> dict[str, Any]:
        distance = DISTANCES.get(frozenset((cityA, cityB)))
        if distance is None:
            return {"error": "distance not found in database."}
        return {"distance": distance}

    def display_log(self, messages: list[str]) -> dict[str, list[str]]:
        return {"log": messages}

    def liter_to_gallon(self, liter: float) -> dict[str, float]:
        return {"gallon": liter * UNITS["gallons_per_liter"]}

    def gallon_to_liter(self, gallon: float) -> dict[str, float]:
        return {"liter": gallon * UNITS["liters_per_gallon"]}
