import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='BudgetItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=10, unique=True, verbose_name='编号')),
                ('name', models.CharField(max_length=300, verbose_name='经费项目')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='预算（元）')),
            ],
            options={
                'verbose_name': '试点经费项目',
                'verbose_name_plural': '试点经费项目',
                'ordering': ['code'],
                'constraints': [models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='pilot_budgetitem_amount_positive')],
            },
        ),
        migrations.CreateModel(
            name='PilotTask',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(choices=[('table_9_1', '表9-1 主要职责分工'), ('task_list', '工作任务清单')], max_length=20, verbose_name='来源')),
                ('number', models.PositiveSmallIntegerField(verbose_name='序号')),
                ('sub_number', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='子项')),
                ('years', models.CharField(max_length=20, verbose_name='完成年度')),
                ('year_end', models.PositiveSmallIntegerField(verbose_name='截止年度')),
                ('title', models.CharField(max_length=300, verbose_name='工作任务')),
                ('content', models.TextField(blank=True, verbose_name='工作内容')),
                ('responsible', models.CharField(blank=True, max_length=200, verbose_name='责任单位')),
                ('status', models.CharField(choices=[('planned', '未开始'), ('in_progress', '进行中'), ('done', '已完成'), ('delayed', '滞后')], default='planned', max_length=20, verbose_name='状态')),
                ('progress', models.PositiveSmallIntegerField(default=0, verbose_name='进度（%）')),
                ('note', models.TextField(blank=True, verbose_name='进展说明')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '试点任务',
                'verbose_name_plural': '试点任务',
                'ordering': ['source', 'number', 'sub_number'],
                'constraints': [models.UniqueConstraint(fields=('source', 'number', 'sub_number'), name='pilot_pilottask_unique', nulls_distinct=False), models.CheckConstraint(condition=models.Q(('progress__lte', 100)), name='pilot_pilottask_progress_max')],
            },
        ),
        migrations.CreateModel(
            name='Spending',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField(verbose_name='支出日期')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='金额（元）')),
                ('description', models.CharField(max_length=300, verbose_name='用途说明')),
                ('voucher', models.CharField(blank=True, max_length=60, verbose_name='凭证号')),
                ('entered_at', models.DateTimeField(auto_now_add=True)),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('corrects', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='corrected_by', to='pilot.spending', verbose_name='更正的支出')),
                ('entered_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='spendings', to='pilot.budgetitem', verbose_name='经费项目')),
            ],
            options={
                'verbose_name': '试点经费支出',
                'verbose_name_plural': '试点经费支出',
                'ordering': ['-date', '-id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('amount', 0), _negated=True), name='pilot_spending_amount_nonzero')],
            },
        ),
    ]
