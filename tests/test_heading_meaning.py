"""Headings a team might write, in English and French, read by the concept their words name
(``roots`` in schemas/vocabulary.json): a list written from the meaning of each section, not
from any verdict set, that must keep matching as the vocabulary changes."""

from __future__ import annotations

import pytest

from inc_audit.reading.schemas import load

HEADINGS = {
    ("report", "nature"): ["What happened", "Symptoms", "Problem statement", "Incident description", "Malfunction",
                           "Description du problème", "Symptômes", "Dysfonctionnement constaté", "Anomalie", "Constat"],
    ("report", "discovery"): ["How we found out", "Detected by", "First noticed", "Raised by", "Found by",
                              "Comment l'a-t-on détecté", "Remonté par", "Mode de détection", "Signalement"],
    ("report", "impact"): ["Blast radius", "Who is affected", "Consequences", "Business impact", "Exposure", "Extent",
                           "Conséquences possibles", "Qui est touché", "Utilisateurs concernés", "Périmètre impacté"],
    ("report", "evidence"): ["Proof", "Logs", "Screenshots", "Supporting data", "Artifacts", "Stack trace",
                             "Preuves", "Captures d'écran", "Journaux", "Pièces jointes", "Extraits de logs"],
    ("post-mortem", "root_cause"): ["Why it happened", "Underlying cause", "Contributing factors", "5 whys",
                                    "Diagnosis", "What set it off", "Cause profonde", "Pourquoi c'est arrivé",
                                    "Genèse de la panne"],
    ("post-mortem", "actual_impact"): ["What it cost", "Damage", "Customer impact", "Who was affected", "Fallout",
                                       "Losses", "Impact réel", "Dégâts", "Utilisateurs touchés", "Pertes"],
    ("post-mortem", "follow_up"): ["Action items", "Next steps", "Lessons learned", "What we'll change", "Prevention",
                                   "Corrective actions", "Hardening", "Plan d'action", "Actions correctives",
                                   "Mesures préventives", "Chantiers à lancer", "Pistes d'amélioration"],
    ("change", "rollback"): ["Rollback plan", "Revert plan", "Backout plan", "Fallback", "Plan B", "Exit plan",
                             "How to revert", "Retour arrière", "Comment revenir en arrière", "Plan de repli",
                             "Procédure de retour"],
}


@pytest.mark.parametrize(("kind", "part", "heading"), [(k, p, h) for (k, p), hs in HEADINGS.items() for h in hs])
def test_a_heading_names_its_section_by_meaning(kind, part, heading):
    found = load(kind).part_named(heading)
    assert found is not None and found.name == part, (heading, found and found.name)
