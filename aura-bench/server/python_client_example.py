"""Calls the routing service through its generated Python client (aura_client, made by OpenAPI
Generator from the served document; see python-client.sh, which generates it and runs this
against ./aura serve).

    PYTHONPATH=aura-client/target/python-client python3 aura-bench/server/python_client_example.py URL

It creates a vector model and a text model, learns a target, routes, rewards an expert of a route,
reads the statistics, shows a refusal as a typed error body, exports a model as a snapshot and
imports it as another, and deletes what it created. Needs
Python 3.9+ with urllib3 2, pydantic 2, python-dateutil and typing-extensions.
"""
import base64
import math
import sys

import aura_client
from aura_client.exceptions import ApiException
from aura_client.models import Feedback, Input, ModelSpec, Sample, SampleBatch, SnapshotUpload

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
config = aura_client.Configuration(host=url)
# With a server started with --token-file: config.access_token = open("token").read().strip()

with aura_client.ApiClient(config) as client:
    models = aura_client.ModelsApi(client)
    inference = aura_client.InferenceApi(client)
    feedback = aura_client.FeedbackApi(client)
    service = aura_client.ServiceApi(client)

    print("health:", service.get_health().status)

    # A vector model: learn y = sin(x0) + x1 / 2 from a stream of samples, in batches.
    m = models.create_model(ModelSpec(name="py-demo", inputDim=2, experts=4, hidden=8, seed=7))
    print(f"created {m.name}: {m.config.experts} experts, top-{m.config.top_k}, {m.config.parameters} parameters")
    xs = [[math.sin(i * 0.37) * 2, math.cos(i * 0.11) * 2] for i in range(2000)]
    ys = [[math.sin(x[0]) + x[1] / 2] for x in xs]
    for epoch in range(3):
        mses = []
        for i in range(0, len(xs), 200):
            r = inference.learn_batch("py-demo", SampleBatch(xs=xs[i:i + 200], ys=ys[i:i + 200]))
            mses.append(r.mean_squared_error)
        print(f"epoch {epoch + 1}: mean squared error {sum(mses) / len(mses):.4f} (log seq {r.seq})")
    learned = inference.learn("py-demo", Sample(x=[0.5, 1.0], y=[math.sin(0.5) + 0.5]))
    print(f"learn [0.5, 1.0]: predicted {learned.prediction[0]:.4f} before learning,"
          f" target {math.sin(0.5) + 0.5:.4f}, experts {learned.experts}")
    routed = inference.route("py-demo", Input(x=[0.5, 1.0]))
    print("route [0.5, 1.0]: experts", routed.expert_names,
          "weights", [round(w, 3) for w in routed.weights])

    # A text model with feedback: the server embeds the text (all-MiniLM-L6-v2, 384 values).
    models.create_model(ModelSpec(name="py-tickets", inputDim=384, experts=4, feedback=True, feedbackMaxDrift=2.0))
    try:
        r = inference.route("py-tickets", Input(text="my invoice was charged twice"))
        print("route a text: experts", r.expert_names, "route id", r.route_id)
        outcome = feedback.give_feedback("py-tickets", Feedback(routeId=r.route_id, expert=r.expert_names[0], reward=1.0))
        print(f"feedback for {outcome.expert}: the router moved {outcome.change:.4f},"
              f" drift from its anchor {outcome.drift:.4f} (cap 2)")
    except ApiException as e:
        print("text refused:", e.status, e.data.error if e.data else e.body)

    # A refusal is a typed error body.
    try:
        inference.route("py-demo", Input(x=[1.0, 2.0, 3.0]))
    except ApiException as e:
        print(f"refused: HTTP {e.status}, error body status {e.data.status}: {e.data.error}")

    stats = models.get_stats("py-demo")
    print(f"stats: {stats.balance.tokens} tokens routed, load {[round(v, 3) for v in stats.balance.load]},"
          f" {stats.energy.picojoules_per_token:.0f} pJ per token (estimate)")
    # Out as a snapshot (the file `aura flink --initial-model` and Snapshots.load read) and in again
    # as another model with the same state. The import goes as JSON {"snapshot": base64}, which this
    # client does not encode itself: it takes the base64 text.
    snapshot = bytes(models.export_model("py-demo"))
    copy = models.import_model("py-copy", SnapshotUpload(snapshot=base64.b64encode(snapshot).decode("ascii")))
    digest = models.get_model("py-demo", digest=True).digest
    print(f"exported a snapshot of {len(snapshot):,} bytes and imported it as {copy.name}:"
          f" {'the same state' if copy.digest == digest else 'ANOTHER STATE'} (digest {digest[:12]}...)")
    for name in ("py-demo", "py-tickets", "py-copy"):
        print("deleted", models.delete_model(name).deleted)
