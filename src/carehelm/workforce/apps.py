from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "carehelm.workforce"
    label = "workforce"
    verbose_name = "Workforce and credentials"

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_seed_catalogue_if_empty, sender=self)


def _seed_catalogue_if_empty(sender, using="default", **kwargs):
    """Re-seed the reference catalogue after a flush (e.g. transactional tests) — never over edits.

    The data migration seeds a new database; a flush empties the tables but migrations do not run
    again, so post_migrate (which flush emits) puts the catalogue back when it is missing.
    """
    from carehelm.workforce import catalogue
    from carehelm.workforce.models import JobRole

    if not JobRole.objects.using(using).exists():
        catalogue.seed()
