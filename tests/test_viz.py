"""The interactive Solara page: its model adapter, its sliders, headless renders (a slider
change plus Reset rebuilds the model and changes the plots; every render has its own model),
and `solara run negsim/app.py` failing on a bad scenario. tests/test_browser.py drives the
served page in chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import types
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import ipyvuetify as v  # noqa: E402
import ipywidgets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import solara  # noqa: E402
from mesa.visualization.solara_viz import _check_model_params  # noqa: E402

import negsim  # noqa: E402
from negsim import viz  # noqa: E402
from negsim.scenario import ScenarioError, validate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

PARAMETER_SLIDERS = {
    "sigma": 5.0,
    "mu": 0.4,
    "transport_cost": 1.5,
    "adjustment_speed": 0.1,
    "noise": 0.0,
}


def _slider(rc, key: str) -> v.Slider:
    return rc.find(v.Slider, class_=f"negsim-param-{key}").widget


def _texts(rc) -> list[str]:
    spans = rc.find(v.Html, tag="span").widgets
    return [w.children[0] for w in spans if w.children and isinstance(w.children[0], str)]


def _state(rc) -> str:
    return rc.find(v.Html, class_="negsim-state").widget.children[0]


def test_interactive_model_applies_slider_values_to_the_base_scenario():
    base = negsim.load_scenario(SCENARIOS / "path_dependence.toml", ["population.workers=500"])
    model = viz.InteractiveModel(
        base=base, sigma=4.0, mu=0.3, transport_cost=1.9, adjustment_speed=0.2, noise=0.1, seed=7
    )
    assert isinstance(model, negsim.NEGModel)
    econ, behaviour = model.spec.economy, model.spec.behaviour
    assert (econ.sigma, econ.mu, econ.transport_cost) == (4.0, 0.3, 1.9)
    assert (behaviour.adjustment_speed, behaviour.noise) == (0.2, 0.1)
    assert model.seed == 7
    assert model.spec.population == base.population  # everything else is the base's
    kept = viz.InteractiveModel(base=base, transport_cost=1.6)
    assert kept.spec.economy.sigma == 5.0 and kept.spec.economy.transport_cost == 1.6
    assert kept.seed == base.run.seed
    assert viz.InteractiveModel().spec == viz.default_scenario()


def test_slider_values_are_validated_like_a_scenario_file():
    with pytest.raises(ScenarioError, match="no-black-hole"):
        viz.configure(viz.default_scenario(), sigma=2.0, mu=0.6)
    with pytest.raises(ScenarioError, match="economy.transport_cost"):
        viz.configure(viz.default_scenario(), transport_cost=0.9)
    with pytest.raises(TypeError, match="unknown parameter 'rho'"):
        viz.configure(viz.default_scenario(), rho=0.5)


@pytest.mark.parametrize(
    "sigma,mu", [(5.0, 0.4), (1.8, 0.4), (1.5, 0.3), (5.0, 0.7), (2.6, 0.6), (12.0, 0.02)]
)
def test_every_slider_setting_builds_a_valid_model(sigma, mu):
    scenario = viz.configure(viz.default_scenario(), sigma=sigma, mu=mu)
    ranges = viz.slider_ranges(scenario)
    (s_lo, s_hi, _), (m_lo, m_hi, _) = ranges["sigma"], ranges["mu"]
    assert s_lo <= sigma <= s_hi and m_lo <= mu <= m_hi
    # the worst corner (lowest σ, highest μ) still satisfies μ < (σ-1)/σ
    assert m_hi < (s_lo - 1) / s_lo
    viz.configure(scenario, sigma=s_lo, mu=m_hi, transport_cost=ranges["transport_cost"][0])
    # Mesa accepts the parameters for rebuilding the model
    params = viz.model_params(scenario)
    _check_model_params(viz.InteractiveModel(base=scenario), params)
    assert params["sigma"].value == sigma


def test_slider_box_respects_a_housing_share():
    data = viz.default_scenario().model_dump(exclude_none=True)
    data["economy"].update(mu=0.3, housing_share=0.6)  # needs mu + housing_share < 1
    scenario = validate(data)
    lo, hi, _ = viz.slider_ranges(scenario)["mu"]
    assert lo <= 0.3 <= hi and hi + 0.6 < 1
    viz.configure(scenario, mu=hi)
    with pytest.raises(ScenarioError, match="housing_share"):
        viz.configure(scenario, mu=0.45)


def test_page_renders_and_a_slider_change_changes_model_and_plots():
    scenario = viz.configure(viz.default_scenario(), transport_cost=1.5)
    live = solara.reactive(viz.InteractiveModel(base=scenario))
    _, rc = solara.render(solara.AppLayout(children=[viz.page(scenario, model=live)]))
    sliders = {key: _slider(rc, key).v_model for key in PARAMETER_SLIDERS}
    assert sliders == PARAMETER_SLIDERS
    images = rc.find(ipywidgets.Image).widgets
    assert len(images) == 3  # regions map, shares, real wages
    assert all(im.value[:8] == b"\x89PNG\r\n\x1a\n" and len(im.value) > 10_000 for im in images)
    before = [im.value for im in images]
    assert _state(rc) == "running (step 0)"

    first = live.value
    _slider(rc, "transport_cost").v_model = 2.2
    assert "transport cost T (iceberg factor) = 2.20" in _texts(rc)  # the label shows the value
    assert live.value is first  # a slider alone does not rebuild the model
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert live.value is not first
    assert live.value.spec.economy.transport_cost == 2.2
    assert live.value.steps == 0
    assert "T = 2.2" in rc.find(v.Html, class_="negsim-parameters").widget.children[0]
    for _ in range(4):
        rc.find(v.Btn, children=["Step"]).widget.click()
    assert live.value.steps == 20  # render interval: 5 steps per click
    assert _state(rc) == "running (step 20)"
    after = [im.value for im in rc.find(ipywidgets.Image).widgets]
    assert all(a != b for a, b in zip(after, before, strict=True))
    # T = 2.2 > T_S: the 0.51 / 0.49 start now returns towards the even spread
    assert abs(live.value.shares[0] - 0.5) < 0.01
    rc.close()


def test_slider_labels_show_their_values():
    _, rc = solara.render(solara.AppLayout(children=[viz.page()]))
    texts = _texts(rc)
    for key, value in PARAMETER_SLIDERS.items():
        step = viz.slider_ranges(viz.default_scenario())[key][2]
        digits = len(f"{step:g}".partition(".")[2])
        assert f"{viz._LABELS[key]} = {value:.{digits}f}" in texts
    _slider(rc, "sigma").v_model = 7.3
    _slider(rc, "noise").v_model = 0.25
    texts = _texts(rc)
    assert "elasticity of substitution σ = 7.3" in texts
    assert "taste noise ν (log real wage) = 0.25" in texts
    rc.close()


def test_every_render_of_the_page_has_its_own_model():
    # `solara run` renders the page element once per browser session
    element = viz.page(viz.default_scenario())
    _, first = solara.render(solara.AppLayout(children=[element]))
    _, second = solara.render(solara.AppLayout(children=[element]))
    for _ in range(3):
        first.find(v.Btn, children=["Step"]).widget.click()
    assert _state(first) == "running (step 15)"
    assert _state(second) == "running (step 0)"
    second.find(v.Btn, children=["Step"]).widget.click()
    assert (_state(first), _state(second)) == ("running (step 15)", "running (step 5)")
    first.close()
    assert _state(second) == "running (step 5)"
    second.close()


def test_status_says_running_until_the_run_settles():
    scenario = viz.configure(viz.default_scenario(), adjustment_speed=0.5)
    model = viz.InteractiveModel(base=scenario)
    assert viz.status(model) == "running (step 0)"
    model.step()
    assert viz.status(model) == "running (step 1)"
    while model.running and model.steps < 5_000:
        assert viz.status(model) == f"running (step {model.steps})"
        model.step()
    assert model.converged and not model.running
    # T = 1.5 < T_B: the 0.51 / 0.49 start agglomerates in North
    assert model.shares[0] >= scenario.analysis.agglomerated_share
    assert viz.status(model) == f"settled at step {model.steps}: agglomerated (core North)"
    dispersed = viz.InteractiveModel(base=viz.configure(scenario, transport_cost=2.2))
    while dispersed.running and dispersed.steps < 5_000:
        dispersed.step()
    assert abs(dispersed.shares[0] - 0.5) < 0.01
    assert viz.status(dispersed) == f"settled at step {dispersed.steps}: dispersed"


def test_a_model_steps_only_while_its_session_is_connected():
    connected = [True]
    model = viz.InteractiveModel(connected=lambda: connected[0])
    model.step()
    model.step()
    assert model.steps == 2
    shares = model.shares.copy()
    connected[0] = False  # the tab was closed while ▶ ran
    for _ in range(3):
        model.step()
    assert model.steps == 2 and np.array_equal(model.shares, shares)
    connected[0] = True
    model.step()
    plain = viz.InteractiveModel()  # the same seed, no session: the same three steps
    for _ in range(3):
        plain.step()
    assert model.steps == plain.steps == 3
    assert np.array_equal(model.shares, plain.shares)


def test_session_connected_follows_the_pages_of_the_browser_session(monkeypatch):
    from solara.server import kernel_context

    monkeypatch.setattr(kernel_context, "has_current_context", lambda: False)
    assert viz.session_connected()()  # Jupyter, tests: no served session, always connected
    pages = {"tab": kernel_context.PageStatus.CONNECTED}
    session = types.SimpleNamespace(page_status=pages)
    monkeypatch.setattr(kernel_context, "has_current_context", lambda: True)
    monkeypatch.setattr(kernel_context, "get_current_context", lambda: session)
    connected = viz.session_connected()
    assert connected()
    pages["tab"] = kernel_context.PageStatus.DISCONNECTED
    assert not connected()
    pages["reloaded"] = kernel_context.PageStatus.CONNECTED
    assert connected()


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_page_renders_every_shipped_scenario(path):
    scenario = negsim.load_scenario(path, ["population.workers=400"])
    live = solara.reactive(viz.InteractiveModel(base=scenario))
    _, rc = solara.render(solara.AppLayout(children=[viz.page(scenario, model=live)]))
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert live.value.steps == 5
    images = rc.find(ipywidgets.Image).widgets
    assert len(images) == 3 and all(len(im.value) > 10_000 for im in images)
    keys = {(w.class_ or "").removeprefix("negsim-param-") for w in rc.find(v.Slider).widgets}
    # a T slider exactly where the geography has one transport cost
    assert ("transport_cost" in keys) == (scenario.economy.transport_cost is not None)
    # a firms' speed slider exactly where cp firms adjust at their own speed
    assert ("firm_speed" in keys) == (scenario.firms.adjustment_speed is not None)
    rc.close()


def test_firm_speed_slider_rebuilds_firms_at_that_speed():
    base = negsim.load_scenario(
        SCENARIOS / "core_plant_closures.toml", ["population.workers=1000", "population.firms=200"]
    )
    params = viz.model_params(base)
    assert params["firm_speed"].value == base.firms.adjustment_speed == 0.2
    assert (params["firm_speed"].min, params["firm_speed"].max) == (0.01, 1.0)
    _check_model_params(viz.InteractiveModel(base=base), params)
    model = viz.InteractiveModel(base=base, firm_speed=0.5, seed=3)
    assert model.dual and model.spec.firms.adjustment_speed == 0.5
    assert model.spec.firms.entry_exit and model.spec.policies == base.policies
    with pytest.raises(ScenarioError, match="firms.adjustment_speed"):
        viz.configure(base, firm_speed=1.5)
    assert "firm_speed" not in viz.model_params(viz.default_scenario())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _solara_run(scenario: str) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {**os.environ, "NEGSIM_SCENARIO": scenario, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "0"}
    command = [sys.executable, "-m", "solara", "run", "negsim/app.py", "--no-open"]
    proc = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return proc, port


def test_solara_run_fails_loudly_on_a_bad_scenario():
    # the server executes negsim/app.py at start-up, so a broken app never serves a page
    proc, _ = _solara_run(str(SCENARIOS / "no_such_scenario.toml"))
    try:
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)
    assert proc.returncode != 0
    assert "no_such_scenario.toml: no such file" in output
