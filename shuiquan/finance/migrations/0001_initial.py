import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('ledger', '0002_triggers'),
        ('registry', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Bank',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=120, unique=True, verbose_name='金融机构')),
                ('code', models.CharField(blank=True, max_length=30, verbose_name='金融机构编码/统一社会信用代码')),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('staff', models.ManyToManyField(blank=True, related_name='banks', to=settings.AUTH_USER_MODEL, verbose_name='经办人员')),
            ],
            options={
                'verbose_name': '金融机构',
                'verbose_name_plural': '金融机构',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='Pledge',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(blank=True, max_length=40, null=True, unique=True, verbose_name='登记编号')),
                ('kind', models.CharField(choices=[('volume_pledge', '用水权质押'), ('mortgage', '用水权抵押'), ('income_pledge', '用水权收益权质押')], max_length=20, verbose_name='类型')),
                ('first_year', models.PositiveSmallIntegerField(verbose_name='起始年度')),
                ('last_year', models.PositiveSmallIntegerField(verbose_name='终止年度')),
                ('volume_m3', models.PositiveBigIntegerField(default=0, verbose_name='每年质押水量（立方米）')),
                ('secured_amount', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='担保债权金额（元）')),
                ('loan_contract_no', models.CharField(max_length=60, verbose_name='借款合同编号')),
                ('bank_reference', models.CharField(blank=True, max_length=60, verbose_name='金融机构登记编号')),
                ('purpose', models.CharField(blank=True, max_length=200, verbose_name='融资用途')),
                ('status', models.CharField(choices=[('applied', '已申请'), ('bank_confirmed', '金融机构已确认'), ('registered', '已登记（水量冻结）'), ('released', '已解除'), ('enforcing', '处置中'), ('enforced', '已处置'), ('rejected', '不予登记')], default='applied', max_length=20, verbose_name='状态')),
                ('applied_at', models.DateTimeField(auto_now_add=True)),
                ('registered_at', models.DateTimeField(blank=True, null=True, verbose_name='登记时间')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='解除/处置时间')),
                ('enforcement_buyer', models.CharField(blank=True, max_length=200, verbose_name='处置受让方')),
                ('enforcement_reference', models.CharField(blank=True, max_length=60, verbose_name='处置交易编号')),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('applied_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('bank', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='pledges', to='finance.bank', verbose_name='质权人（金融机构）')),
                ('right', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='pledges', to='ledger.waterright', verbose_name='用水权')),
            ],
            options={
                'verbose_name': '用水权质押（抵押）',
                'verbose_name_plural': '用水权质押（抵押）',
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='PledgeEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(auto_now_add=True)),
                ('from_status', models.CharField(blank=True, max_length=20)),
                ('to_status', models.CharField(max_length=20)),
                ('note', models.CharField(blank=True, max_length=300)),
                ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('pledge', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='finance.pledge')),
            ],
            options={
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='FeeRightTransfer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(blank=True, max_length=40, null=True, unique=True, verbose_name='登记编号')),
                ('project', models.CharField(max_length=120, verbose_name='供水工程')),
                ('transferee', models.CharField(max_length=120, verbose_name='受让方/融资方')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='融资金额（元）')),
                ('start_date', models.DateField(verbose_name='起始日期')),
                ('end_date', models.DateField(verbose_name='终止日期')),
                ('purpose', models.CharField(max_length=200, verbose_name='融资用途')),
                ('status', models.CharField(choices=[('registered', '已登记'), ('terminated', '已终止')], default='registered', max_length=20, verbose_name='状态')),
                ('registered_at', models.DateTimeField(auto_now_add=True)),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('bank', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='fee_right_transfers', to='finance.bank', verbose_name='金融机构')),
                ('grantor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='fee_right_transfers', to='registry.wateruser', verbose_name='转让方（供水工程管理单位）')),
                ('registered_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('reservoir', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to='registry.reservoir', verbose_name='水库')),
            ],
            options={
                'verbose_name': '供水收费权转让',
                'verbose_name_plural': '供水收费权转让',
                'ordering': ['-id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('end_date__gt', models.F('start_date'))), name='finance_feeright_dates_order'), models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='finance_feeright_amount_positive')],
            },
        ),
        migrations.AddConstraint(
            model_name='pledge',
            constraint=models.CheckConstraint(condition=models.Q(('last_year__gte', models.F('first_year'))), name='finance_pledge_years_order'),
        ),
        migrations.AddConstraint(
            model_name='pledge',
            constraint=models.CheckConstraint(condition=models.Q(('secured_amount__gt', 0)), name='finance_pledge_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='pledge',
            constraint=models.CheckConstraint(condition=models.Q(('kind', 'income_pledge'), ('volume_m3__gt', 0), _connector='OR'), name='finance_pledge_volume_positive', violation_error_message='质押（抵押）水量应大于0'),
        ),
    ]
