from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('metering', '0002_reading_partitioned'),
    ]

    operations = [
        migrations.AddField(
            model_name='devicestate',
            name='dirty_from',
            field=models.DateField(blank=True, null=True, verbose_name='待重算起'),
        ),
        migrations.AddField(
            model_name='devicestate',
            name='dirty_to',
            field=models.DateField(blank=True, null=True, verbose_name='待重算止'),
        ),
        migrations.AddField(
            model_name='devicestate',
            name='last_volume_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='最新累计水量观测时间'),
        ),
        migrations.DeleteModel(
            name='UsageDirty',
        ),
    ]
