# The drift statistics are kept per township so that one rating taking effect recounts a
# few dozen rows. They are derived data (`manage.py stats_rebuild` recomputes them), so
# the table is recreated rather than migrated row by row.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ratings', '0005_certificate_revocation'),
        ('settlements', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.DeleteModel(name='AssessorRoundStat'),
        migrations.CreateModel(
            name='AssessorRoundStat',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reviews', models.PositiveIntegerField(verbose_name='考评数')),
                ('gap_sum', models.DecimalField(decimal_places=1, max_digits=14, verbose_name='差值合计')),
                ('gap_square_sum', models.DecimalField(decimal_places=2, max_digits=18, verbose_name='差值平方合计')),
                ('assessor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='考评人')),
                ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ratings.round', verbose_name='轮次')),
                ('township', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='settlements.township', verbose_name='乡镇')),
            ],
            options={
                'verbose_name': '考评人偏差统计',
                'verbose_name_plural': '考评人偏差统计',
                'constraints': [models.UniqueConstraint(fields=('round', 'township', 'assessor'), name='assessor_round_stat_unique'), models.CheckConstraint(condition=models.Q(('reviews__gt', 0)), name='assessor_round_stat_reviews_positive'), models.CheckConstraint(condition=models.Q(('gap_square_sum__gte', 0)), name='assessor_round_stat_squares')],
            },
        ),
    ]
