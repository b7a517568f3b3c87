"""An interactive Solara page for watching agents cluster and disperse.

``page(scenario)`` shows a live regions map sized by the mobile population, the shares of
mobile workers and the real wages ω = w G^(-μ) over time, with sliders for the
elasticity of substitution σ, the manufacturing share μ, the transport cost T, the
adjustment speed and the taste noise ν (and the firms' own adjustment speed where the
scenario's cp firms have one, ``firms.adjustment_speed``). Move a slider, press *Reset*
to rebuild the model with it, then *Step* or ▶ (the model stops by itself once the shares
settle).

In Jupyter, a cell ending in ``negsim.viz.page(scenario)`` displays the page inline; from
a clone, ``solara run negsim/app.py`` serves it in the browser (``NEGSIM_SCENARIO=FILE.toml``
picks the scenario).

The page is Mesa's ``SolaraViz`` taken apart: Mesa's ``ModelController`` (Reset, ▶, Step)
and plot grid (``ComponentsView``), our own sliders (each shows its value) and status line.
Each render of the page (each browser session, each notebook cell) builds its own model.
Mesa rebuilds a model from keyword arguments, so the page drives ``InteractiveModel``, a
``NEGModel`` whose constructor takes the slider values and applies them to a base scenario.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import solara
from matplotlib.figure import Figure
from mesa.visualization.solara_viz import ComponentsView, ModelController
from mesa.visualization.user_param import Slider
from mesa.visualization.utils import update_counter

from negsim.metrics import classify_regime
from negsim.model import NEGModel
from negsim.plots import plot_regions, plot_shares, plot_wages
from negsim.record import Result
from negsim.runner import summarise
from negsim.scenario import Scenario, load_scenario, validate

#: The parameters the sliders set, and the scenario table and key each belongs to.
SLIDER_KEYS = {
    "sigma": ("economy", "sigma"),
    "mu": ("economy", "mu"),
    "transport_cost": ("economy", "transport_cost"),
    "adjustment_speed": ("behaviour", "adjustment_speed"),
    "noise": ("behaviour", "noise"),
    "firm_speed": ("firms", "adjustment_speed"),
}

_LABELS = {
    "sigma": "elasticity of substitution σ",
    "mu": "manufacturing share μ",
    "transport_cost": "transport cost T (iceberg factor)",
    "adjustment_speed": "adjustment speed (share reconsidering per step)",
    "noise": "taste noise ν (log real wage)",
    "firm_speed": "firms' adjustment speed (share reconsidering per step)",
}


def default_scenario() -> Scenario:
    """FKV's tomahawk parameters (σ = 5, μ = 0.4) at T = 1.5 < T_B ≈ 1.627, 5,000 workers
    starting 0.51 / 0.49: the near-even start clusters."""
    return validate(
        {
            "name": "interactive",
            "economy": {"model": "cp", "sigma": 5.0, "mu": 0.4, "transport_cost": 1.5},
            "regions": {"names": ["North", "South"]},
            "population": {"workers": 5000, "firms": 500, "initial_shares": [0.51, 0.49]},
            "run": {"steps": 100_000, "seed": 42},
        },
        "negsim.viz.default_scenario",
    )


def configure(base: Scenario, **values: float | None) -> Scenario:
    """``base`` with the given slider parameters (σ, μ, T, adjustment speed, noise, firms'
    speed) replaced; ``None`` keeps the base value. Validated like a scenario file
    (ScenarioError if not)."""
    data = base.model_dump(exclude_none=True)
    for key, value in values.items():
        if key not in SLIDER_KEYS:
            raise TypeError(f"unknown parameter {key!r} (sliders: {', '.join(SLIDER_KEYS)})")
        if value is not None:
            table, field = SLIDER_KEYS[key]
            data[table][field] = float(value)
    return validate(data, f"{base.name} (sliders)")


class InteractiveModel(NEGModel):
    """A ``NEGModel`` built from keyword parameters, as Mesa's ``SolaraViz`` rebuilds models.

    The slider parameters override ``base`` (default: ``default_scenario()``); the
    economics are exactly those of ``NEGModel``. ``connected`` (the page passes its browser
    session's) makes ``step`` do nothing while it is false: a tab closed while ▶ runs stops
    stepping and drawing instead of running on until its session expires (a day).
    """

    def __init__(
        self,
        *,
        base: Scenario | None = None,
        sigma: float | None = None,
        mu: float | None = None,
        transport_cost: float | None = None,
        adjustment_speed: float | None = None,
        noise: float | None = None,
        firm_speed: float | None = None,
        seed: int | None = None,
        connected: Callable[[], bool] | None = None,
    ) -> None:
        spec = configure(
            default_scenario() if base is None else base,
            sigma=sigma,
            mu=mu,
            transport_cost=transport_cost,
            adjustment_speed=adjustment_speed,
            noise=noise,
            firm_speed=firm_speed,
        )
        super().__init__(spec, seed=seed)
        if connected is not None:
            step = self.step  # Mesa's wrapper: it counts the step, then runs NEGModel.step

            def step_while_connected() -> None:
                if connected():
                    step()

            self.step = step_while_connected


def session_connected() -> Callable[[], bool]:
    """Whether the current browser session still has a page connected to the server (always
    true outside ``solara run``, e.g. in Jupyter). A closed tab disconnects at once, but
    solara keeps its session, and a ▶ loop in it, for ``SOLARA_KERNEL_CULL_TIMEOUT`` (24 h)."""
    from solara.server import kernel_context

    if not kernel_context.has_current_context():
        return lambda: True
    context = kernel_context.get_current_context()
    statuses = context.page_status
    return lambda: not statuses or kernel_context.PageStatus.CONNECTED in statuses.values()


def _floor(x: float, step: float) -> float:
    return math.floor(x / step + 1e-9) * step


def _ceil(x: float, step: float) -> float:
    return math.ceil(x / step - 1e-9) * step


def slider_ranges(scenario: Scenario) -> dict[str, tuple[float, float, float]]:
    """(min, max, step) of each slider: a box around the scenario's own values in which
    every combination satisfies the no-black-hole condition μ < (σ-1)/σ (FKV ch. 5; it
    implies fe's μ < σ-1) and μ + η < 1 with a housing share η, so no slider setting can
    make a model that cannot be built. No T slider where the geography has no single
    transport cost (network, matrix); a firms' speed slider only where cp firms adjust at
    their own speed."""
    econ, behaviour = scenario.economy, scenario.behaviour
    housing = float(getattr(econ, "housing_share", 0.0) or 0.0)
    sigma_lo = min(2.0, econ.sigma)
    mu_hi = max(econ.mu, min(0.45, _floor(1.0 - housing - 1e-6, 0.01)))
    # μ < (σ-1)/σ  ⇔  σ > 1/(1-μ); the box is safe if its corner (σ_lo, μ_hi) is.
    if not sigma_lo > 1.0 / (1.0 - mu_hi):
        sigma_lo = min(econ.sigma, _ceil(1.0 / (1.0 - mu_hi) + 1e-6, 0.1))
    if not sigma_lo > 1.0 / (1.0 - mu_hi):  # sigma_lo is the scenario's own σ: lower μ_hi
        mu_hi = max(econ.mu, _floor((sigma_lo - 1.0) / sigma_lo - 1e-6, 0.01))
    ranges = {
        "sigma": (sigma_lo, max(10.0, econ.sigma), 0.1),
        "mu": (min(0.05, econ.mu), mu_hi, 0.01),
        "transport_cost": (1.0, max(3.0, econ.transport_cost or 0.0), 0.01),
        "adjustment_speed": (min(0.01, behaviour.adjustment_speed), 1.0, 0.01),
        "noise": (0.0, max(0.5, behaviour.noise), 0.01),
    }
    if econ.transport_cost is None:
        del ranges["transport_cost"]
    firm_speed = scenario.firms.adjustment_speed
    if firm_speed is not None:
        ranges["firm_speed"] = (min(0.01, firm_speed), 1.0, 0.01)
    return ranges


def model_params(scenario: Scenario) -> dict[str, Any]:
    """SolaraViz ``model_params``: a slider per parameter, starting at the scenario's value,
    and the scenario itself and its seed as fixed parameters."""
    params: dict[str, Any] = {}
    for key, (lo, hi, step) in slider_ranges(scenario).items():
        table, field = SLIDER_KEYS[key]
        value = getattr(getattr(scenario, table), field)
        params[key] = Slider(_LABELS[key], value=float(value), min=lo, max=hi, step=step)
    params["base"] = scenario
    params["seed"] = scenario.run.seed
    return params


def snapshot(model: NEGModel) -> Result:
    """The run so far as a ``Result`` (time series and summary), for the plots."""
    return Result(
        scenario=model.spec,
        timeseries=model.datacollector.get_table_dataframe("regions"),
        summary=summarise(model),
    )


def status(model: NEGModel) -> str:
    """The live state of a run: "running (step n)" until the shares have settled (the
    model's own convergence test) or the model stops, then what it settled into, e.g.
    "settled at step 250: agglomerated (core North)"."""
    if model.running and not model.converged:
        return f"running (step {model.steps})"
    analysis = model.spec.analysis
    regime = classify_regime(
        model.shares, analysis.agglomerated_share, analysis.dispersed_tolerance
    )
    verb = "settled" if model.converged else "stopped"
    where = ""
    if regime != "dispersed":
        where = f" (core {model.region_names[int(model.shares.argmax())]})"
    return f"{verb} at step {model.steps}: {regime}{where}"


def parameter_text(model: NEGModel) -> str:
    """The live model's slider parameters, one line: what a Reset has rebuilt."""
    parts = []
    for key in SLIDER_KEYS:
        table, field = SLIDER_KEYS[key]
        value = getattr(getattr(model.spec, table), field, None)
        if value is not None:
            parts.append(f"{_SYMBOLS[key]} = {value:g}")
    return ", ".join(parts) + f"; seed {model.seed}"


#: Short names of the slider parameters, for the status card.
_SYMBOLS = {
    "sigma": "σ",
    "mu": "μ",
    "transport_cost": "T",
    "adjustment_speed": "speed",
    "noise": "ν",
    "firm_speed": "firms' speed",
}


def _figure(size: tuple[float, float] = (6.0, 3.8)) -> Figure:
    return Figure(figsize=size, layout="constrained")


def _regions(model: NEGModel) -> Figure:
    fig = _figure()
    plot_regions(model, ax=fig.add_subplot())
    return fig


def _shares(model: NEGModel) -> Figure:
    fig = _figure()
    ax = fig.add_subplot()
    plot_shares(snapshot(model), ax=ax)
    ax.set_title(f"{model.spec.name}: {status(model)}")
    return fig


def _real_wages(model: NEGModel) -> Figure:
    fig = _figure()
    plot_wages(snapshot(model), ax=fig.add_subplot(), which="real")
    return fig


@solara.component
def StatusView(model: NEGModel) -> None:
    """One line above the plots: the run's live state and the parameters of the model on
    screen (what the last Reset built)."""
    update_counter.get()
    with solara.Row(classes=["negsim-status"], style={"align-items": "baseline", "gap": "24px"}):
        solara.Text(status(model), classes=["negsim-state"], style={"font-weight": "bold"})
        solara.Text(parameter_text(model), classes=["negsim-parameters"])
        solara.Text(f"{len(model.region_names)} regions, {model.spec.population.workers:,} workers")


@solara.component
def RegionsView(model: NEGModel) -> None:
    """Live regions map: each region sized by its mobile workers."""
    update_counter.get()
    fig = solara.use_memo(lambda: _regions(model), [model, model.steps])
    solara.FigureMatplotlib(fig, format="png", dependencies=[model, model.steps])


@solara.component
def SharesView(model: NEGModel) -> None:
    """Live shares of mobile workers over time, titled with the run's live state."""
    update_counter.get()
    fig = solara.use_memo(lambda: _shares(model), [model, model.steps])
    solara.FigureMatplotlib(fig, format="png", dependencies=[model, model.steps])


@solara.component
def RealWageView(model: NEGModel) -> None:
    """Live real wages over time: migrants move towards the higher one."""
    update_counter.get()
    fig = solara.use_memo(lambda: _real_wages(model), [model, model.steps])
    solara.FigureMatplotlib(fig, format="png", dependencies=[model, model.steps])


def _digits(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9))


@solara.component
def ParameterSliders(scenario: Scenario, parameters: solara.Reactive[dict[str, Any]]) -> None:
    """A slider per model parameter, its description and current value on a line above it
    (long labels beside a slider squeeze it to nothing in the sidebar)."""
    for key, slider in model_params(scenario).items():
        if not isinstance(slider, Slider):
            continue
        value = parameters.value.get(key, slider.value)

        def set_value(new: float, key: str = key) -> None:
            parameters.value = {**parameters.value, key: new}

        solara.Text(f"{slider.label} = {value:.{_digits(slider.step)}f}")
        solara.v.Slider(
            v_model=value,
            on_v_model=set_value,
            min=slider.min,
            max=slider.max,
            step=slider.step,
            thumb_label=True,
            hide_details=True,
            class_=f"negsim-param-{key}",
        )


@solara.component
def Page(
    scenario: Scenario,
    model: solara.Reactive[InteractiveModel] | None = None,
    play_interval: int = 100,
    render_interval: int = 5,
) -> None:
    """The page of one browser session (or notebook cell): its own model, built when the
    session starts, so a tab steps only its own run. Mesa's ``ModelController`` (Reset,
    ▶, Step) rebuilds it from the sliders' values."""
    connected = solara.use_memo(session_connected, [])
    own = solara.use_memo(
        lambda: None if model is not None else InteractiveModel(base=scenario, connected=connected),
        [],
    )
    own_model = solara.use_reactive(own)
    live = model if model is not None else own_model
    initial = {
        key: slider.value if isinstance(slider, Slider) else slider
        for key, slider in model_params(scenario).items()
    }
    initial["connected"] = connected
    parameters = solara.use_reactive(initial)
    play = solara.use_reactive(play_interval)
    render = solara.use_reactive(render_interval)
    threads = solara.use_reactive(False)

    with solara.AppBar():
        solara.AppBarTitle(f"negsim: {scenario.name}")
        solara.lab.ThemeToggle()
    with solara.Sidebar(), solara.Column():
        with solara.Card("Controls"):
            solara.Text(f"steps per update (Step, ▶) = {render.value}")
            solara.SliderInt("", value=render, min=1, max=100, step=1)
            solara.Text(f"pause between updates (ms) = {play.value}")
            solara.SliderInt("", value=play, min=10, max=1000, step=10)
            ModelController(
                live,
                model_parameters=parameters,
                play_interval=play,
                render_interval=render,
                use_threads=threads,
            )
        with solara.Card("Model parameters", subtitle="press Reset to rebuild the model"):
            ParameterSliders(scenario, parameters)
    StatusView(live.value)
    ComponentsView([(RegionsView, 0), (SharesView, 0), (RealWageView, 0)], live.value)


def page(
    scenario: Scenario | str | Path | None = None,
    *,
    model: solara.Reactive[InteractiveModel] | None = None,
    play_interval: int = 100,
    render_interval: int = 5,
) -> Any:
    """The interactive page for ``scenario`` (a Scenario, a TOML path, or None for
    ``default_scenario()``): sliders for σ, μ, T, adjustment speed and noise; the run's
    live state; a live regions map sized by population; live share and real-wage plots.

    Returns a Solara element: the last value of a Jupyter cell displays inline; ``solara run``
    serves a module whose ``page`` it is (see ``negsim/app.py``), and every browser session
    renders it with a model of its own. Pass ``model`` (a ``solara.reactive``) to read the
    live model from outside (then every render of this element shares that model).
    """
    if scenario is None:
        scenario = default_scenario()
    elif not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    return Page(scenario, model=model, play_interval=play_interval, render_interval=render_interval)
