"""JSON, CSV, YAML and XML documents: conversion through one plain-data form, validation, edits."""
