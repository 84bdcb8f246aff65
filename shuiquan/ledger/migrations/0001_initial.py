import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('registry', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='JournalEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('issuance', '指标下达'), ('allocation', '初始分配'), ('trade', '交易过户'), ('reserve_purchase', '回购收储'), ('reserve_resale', '收储出让'), ('pledge_enforcement', '质权实现'), ('reversal', '冲正'), ('adjustment', '调整')], max_length=24, verbose_name='类型')),
                ('memo', models.CharField(max_length=300, verbose_name='摘要')),
                ('effective_date', models.DateField(verbose_name='记账日期')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='记账时间')),
                ('reference_type', models.CharField(blank=True, max_length=60, verbose_name='来源类型')),
                ('reference_id', models.CharField(blank=True, max_length=40, verbose_name='来源编号')),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('reverses', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reversed_by', to='ledger.journalentry', verbose_name='冲正的分录')),
            ],
            options={
                'verbose_name': '记账分录',
                'verbose_name_plural': '记账分录',
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='Reserve',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=80, unique=True, verbose_name='收储机构')),
                ('operator', models.CharField(max_length=80, verbose_name='经办单位')),
                ('funder', models.CharField(help_text='收储资金出资方；收储水量的交易收入归出资方（F3）', max_length=120, verbose_name='出资方')),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reserves', to='registry.region', verbose_name='行政区')),
            ],
            options={
                'verbose_name': '收储机构',
                'verbose_name_plural': '收储机构',
                'ordering': ['region__sort_order', 'name'],
            },
        ),
        migrations.CreateModel(
            name='WaterRight',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(blank=True, max_length=30, null=True, unique=True, verbose_name='用水权编号')),
                ('kind', models.CharField(choices=[('issuance', '指标来源'), ('regional', '区域用水权'), ('river', '河流水量分配'), ('groundwater', '地下水取水指标'), ('snwd', '南水北调用水权'), ('reservoir', '水库水量分配'), ('withdrawal', '取水权'), ('irrigation', '灌溉用水权（协会）'), ('household', '灌溉用水户水权'), ('reserve', '收储水权'), ('ecological', '河道生态水量'), ('outside', '市外受让水权')], max_length=20, verbose_name='类型')),
                ('name', models.CharField(max_length=200, verbose_name='名称')),
                ('holder_kind', models.CharField(choices=[('authority', '下达机关'), ('region', '行政区'), ('water_user', '取用水户'), ('irrigation_district', '灌区'), ('association', '农民用水者协会'), ('household', '灌溉用水户'), ('reserve', '收储机构'), ('river', '河流（生态）')], max_length=24, verbose_name='权利人类型')),
                ('holder_name', models.CharField(max_length=200, verbose_name='权利人')),
                ('source_type', models.CharField(choices=[('surface', '地表水'), ('groundwater', '地下水'), ('snwd', '南水北调'), ('nonconventional', '非常规水'), ('mixed', '多水源')], default='mixed', max_length=20, verbose_name='水源类型')),
                ('use', models.CharField(choices=[('domestic', '生活'), ('industrial', '工业'), ('agricultural', '农业'), ('ecological', '生态'), ('urban_environment', '城市环境'), ('mixed', '综合')], default='mixed', max_length=20, verbose_name='用途')),
                ('annual_volume_m3', models.BigIntegerField(default=0, verbose_name='年度水量（立方米）')),
                ('valid_from', models.DateField(verbose_name='有效期起')),
                ('valid_to', models.DateField(verbose_name='有效期止')),
                ('legal_basis', models.CharField(blank=True, max_length=300, verbose_name='权属依据')),
                ('certificate_number', models.CharField(blank=True, max_length=40, verbose_name='凭证编号')),
                ('status', models.CharField(choices=[('active', '有效'), ('suspended', '中止'), ('expired', '到期'), ('cancelled', '注销')], default='active', max_length=20, verbose_name='状态')),
                ('is_tradable', models.BooleanField(default=True, verbose_name='可交易')),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('created', models.DateTimeField(auto_now_add=True)),
                ('association', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rights', to='registry.association', verbose_name='权利人（协会）')),
                ('holder_region', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='held_rights', to='registry.region', verbose_name='权利人（行政区）')),
                ('household', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rights', to='registry.household', verbose_name='权利人（用水户）')),
                ('irrigation_district', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rights', to='registry.irrigationdistrict', verbose_name='权利人（灌区）')),
                ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='ledger.waterright', verbose_name='上级用水权')),
                ('permit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rights', to='registry.withdrawalpermit', verbose_name='取水许可证')),
                ('region', models.ForeignKey(blank=True, help_text='用于管辖范围与区域汇总', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rights_in_scope', to='registry.region', verbose_name='所属行政区')),
                ('reserve', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rights', to='ledger.reserve', verbose_name='权利人（收储）')),
                ('river', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rights', to='registry.river', verbose_name='河流')),
                ('source', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rights', to='registry.watersource', verbose_name='水源')),
                ('water_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rights', to='registry.wateruser', verbose_name='权利人（取用水户）')),
            ],
            options={
                'verbose_name': '用水权',
                'verbose_name_plural': '用水权',
                'ordering': ['kind', 'number'],
            },
        ),
        migrations.CreateModel(
            name='VolumeLock',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='年度')),
                ('amount', models.BigIntegerField(verbose_name='冻结水量（立方米）')),
                ('kind', models.CharField(choices=[('listing', '挂牌冻结'), ('pledge', '质押冻结'), ('order', '委托冻结'), ('application', '申请冻结'), ('other', '其他')], max_length=20, verbose_name='类型')),
                ('status', models.CharField(choices=[('active', '冻结中'), ('released', '已解除'), ('consumed', '已成交')], default='active', max_length=20, verbose_name='状态')),
                ('reference_type', models.CharField(blank=True, max_length=60, verbose_name='来源类型')),
                ('reference_id', models.CharField(blank=True, max_length=40, verbose_name='来源编号')),
                ('memo', models.CharField(blank=True, max_length=300, verbose_name='说明')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('closed_at', models.DateTimeField(blank=True, null=True)),
                ('close_reason', models.CharField(blank=True, max_length=300)),
                ('closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('right', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='locks', to='ledger.waterright')),
            ],
            options={
                'verbose_name': '水量冻结',
                'verbose_name_plural': '水量冻结',
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='RightBalance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='年度')),
                ('balance', models.BigIntegerField(default=0, verbose_name='余额（立方米）')),
                ('locked', models.BigIntegerField(default=0, verbose_name='冻结（立方米）')),
                ('allow_negative', models.BooleanField(default=False, editable=False)),
                ('right', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='balances', to='ledger.waterright')),
            ],
            options={
                'ordering': ['right', 'year'],
            },
        ),
        migrations.CreateModel(
            name='Posting',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='年度')),
                ('amount', models.BigIntegerField(verbose_name='水量（立方米）')),
                ('entry', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='postings', to='ledger.journalentry')),
                ('right', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='postings', to='ledger.waterright')),
            ],
            options={
                'ordering': ['entry', 'year', 'id'],
            },
        ),
        migrations.AddIndex(
            model_name='journalentry',
            index=models.Index(fields=['reference_type', 'reference_id'], name='ledger_entry_reference_idx'),
        ),
        migrations.AddIndex(
            model_name='waterright',
            index=models.Index(fields=['kind', 'status'], name='ledger_right_kind_status_idx'),
        ),
        migrations.AddConstraint(
            model_name='waterright',
            constraint=models.CheckConstraint(condition=models.Q(('valid_to__gte', models.F('valid_from'))), name='ledger_waterright_validity_order', violation_error_message='有效期止不能早于有效期起'),
        ),
        migrations.AddConstraint(
            model_name='waterright',
            constraint=models.CheckConstraint(condition=models.Q(('annual_volume_m3__gte', 0)), name='ledger_waterright_volume_nonnegative', violation_error_message='年度水量不能为负'),
        ),
        migrations.AddIndex(
            model_name='volumelock',
            index=models.Index(fields=['right', 'year', 'status'], name='ledger_lock_right_year_idx'),
        ),
        migrations.AddIndex(
            model_name='volumelock',
            index=models.Index(fields=['reference_type', 'reference_id'], name='ledger_lock_reference_idx'),
        ),
        migrations.AddConstraint(
            model_name='volumelock',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='ledger_lock_amount_positive', violation_error_message='冻结水量应大于0'),
        ),
        migrations.AddConstraint(
            model_name='rightbalance',
            constraint=models.UniqueConstraint(fields=('right', 'year'), name='ledger_rightbalance_unique'),
        ),
        migrations.AddConstraint(
            model_name='rightbalance',
            constraint=models.CheckConstraint(condition=models.Q(('allow_negative', True), ('balance__gte', models.F('locked')), _connector='OR'), name='ledger_rightbalance_available_nonnegative', violation_error_message='可用水量不能为负'),
        ),
        migrations.AddConstraint(
            model_name='rightbalance',
            constraint=models.CheckConstraint(condition=models.Q(('locked__gte', 0)), name='ledger_rightbalance_locked_nonnegative'),
        ),
        migrations.AddIndex(
            model_name='posting',
            index=models.Index(fields=['right', 'year'], name='ledger_posting_right_year_idx'),
        ),
        migrations.AddConstraint(
            model_name='posting',
            constraint=models.CheckConstraint(condition=models.Q(('amount', 0), _negated=True), name='ledger_posting_amount_nonzero', violation_error_message='过账水量不能为0'),
        ),
    ]
