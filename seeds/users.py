"""The bundled users seed: every field is inferred from the model, except these."""

from toolkit.seed.definitions import SeedDefinition

SEED = SeedDefinition(
    model="User",
    fields={
        # A Faker provider, sampled for the run's locale.
        "city": "city",
    },
)
