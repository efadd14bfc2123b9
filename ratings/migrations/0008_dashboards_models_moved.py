# The stored statistics, league tables and five-star target moved to the dashboards app.
# State only: their tables stay (dashboards' models keep the old table names), with their data.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('ratings', '0007_league_entries'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='AssessorRoundStat'),
                migrations.DeleteModel(name='CountyRoundStat'),
                migrations.DeleteModel(name='HistoricalFiveStarTarget'),
                migrations.DeleteModel(name='FiveStarTarget'),
                migrations.DeleteModel(name='LeagueBuild'),
                migrations.DeleteModel(name='LeagueEntry'),
                migrations.DeleteModel(name='RoundStat'),
            ],
            database_operations=[],
        ),
    ]
