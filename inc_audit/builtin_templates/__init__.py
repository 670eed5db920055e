"""The Umami wallet team's six issue templates (the same as examples/umami-templates/), shipped as
package data: `inc-audit init` reads them when a project has no templates of its own."""
