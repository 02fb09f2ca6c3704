from django.db import migrations


def seed(apps, schema_editor):
    from carehelm.workforce import catalogue

    catalogue.seed(apps)


class Migration(migrations.Migration):
    dependencies = [("workforce", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
