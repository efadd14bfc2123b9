# League tables are no longer built on a GET: a recount marks them stale (and queues the
# rebuild) instead of deleting their build record, so the page keeps showing the stored
# rows with the time they were built.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dashboards', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='leaguebuild',
            name='stale',
            field=models.BooleanField(default=False),
        ),
    ]
