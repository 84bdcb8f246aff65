from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('pilot', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='pilottask',
            name='pilot_pilottask_unique',
        ),
        migrations.AlterField(
            model_name='pilottask',
            name='sub_number',
            field=models.PositiveSmallIntegerField(default=0, help_text='0 表示该任务没有子项', verbose_name='子项'),
        ),
        migrations.AddConstraint(
            model_name='pilottask',
            constraint=models.UniqueConstraint(fields=('source', 'number', 'sub_number'), name='pilot_pilottask_unique'),
        ),
    ]
