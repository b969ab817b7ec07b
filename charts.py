"""The geometry of a meter's monthly consumption bar chart, drawn as SVG by a template."""
from decimal import Decimal

from flask_babel import format_date

from formats import format_number, format_period
from periods import add_months

WIDTH, HEIGHT = 360, 200
TOP, BOTTOM, SIDE = 20, 34, 4


def monthly_use(rows):
    """{period: [use per zone]} with a reading's use after a gap spread over the gap's months."""
    use = {}
    for reading, used, gap in rows:
        if used is None:
            continue
        gap = max(1, gap)
        for back in range(gap):
            use[add_months(reading.period, -back)] = [u / gap for u in used]
    return use


def short_value(value, largest):
    places = 0 if largest >= 100 else 1 if largest >= 1 else 2
    return format_number(value, places, trim=False)


def consumption_chart(rows, unit, months=12):
    """Bars of the last `months` months up to the latest reading; None without two readings."""
    use = monthly_use(rows)
    if not use:
        return None
    last = max(use)
    periods = [add_months(last, -back) for back in range(months - 1, -1, -1)]
    totals = [sum(use[p]) if p in use else None for p in periods]
    largest = max((t for t in totals if t is not None), default=Decimal(0)) or Decimal(1)
    slot = Decimal(WIDTH - 2 * SIDE) / months
    plot = HEIGHT - TOP - BOTTOM
    bars = []
    for i, (period, total) in enumerate(zip(periods, totals)):
        x = SIDE + slot * i
        bar = {"x": round(x + slot * Decimal("0.15"), 1), "w": round(slot * Decimal("0.7"), 1),
               "cx": round(x + slot / 2, 1),
               "month": format_date(period, "LLL").rstrip(".")[:4],
               "year": period.year if period.month == 1 or i == 0 else "",
               "segments": [], "value": "", "title": format_period(period)}
        if total is not None:
            base = Decimal(HEIGHT - BOTTOM)
            for zone, part in enumerate(use[period], start=1):
                h = Decimal(plot) * part / largest
                base -= h
                bar["segments"].append({"y": round(base, 1), "h": round(h, 1), "zone": zone})
            bar["value"] = short_value(total, largest)
            bar["value_y"] = round(base - 4, 1)
            bar["title"] += f": {short_value(total, largest)} {unit}"
        bars.append(bar)
    return {"width": WIDTH, "height": HEIGHT, "baseline": HEIGHT - BOTTOM, "bars": bars,
            "unit": unit, "zones": len(next(iter(use.values())))}
