"""Template filters of the quality pages: a KPI value in its unit, and signed changes."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def kpi_value(value, pres) -> str:
    """``12.345|kpi_value:pres`` → "12.3 %" (decimals and unit from the KPI's presentation)."""
    if value is None or value == "":
        return "—"
    text = f"{float(value):,.{pres.decimals}f}"
    unit = pres.unit_of_measure
    if unit == "%":
        return f"{text} %"
    if text == "1" and unit.endswith("s") and " " not in unit:
        unit = unit[:-1]  # "1 transfer", not "1 transfers"
    return f"{text} {unit}"


@register.filter
def kpi_change(value, pres) -> str:
    if value is None:
        return "—"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    text = f"{abs(float(value)):,.{pres.decimals}f}"
    return f"{sign}{text}" + (" pts" if pres.unit_of_measure == "%" else "")


@register.filter
def number(value, decimals=1) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value):,.{int(decimals)}f}"
