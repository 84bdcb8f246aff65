import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('finance', '0001_initial'),
        ('registry', '0001_initial'),
        ('trading', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='pledge',
            name='enforcement_trade',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='enforced_pledges', to='trading.trade', verbose_name='处置交易'),
        ),
        migrations.CreateModel(
            name='FundAccount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=80, unique=True, verbose_name='账户编码')),
                ('kind', models.CharField(choices=[('party', '交易方（受让方/转让方）'), ('reserve_funder', '收储出资方（F3）'), ('pledgee', '质权人（金融机构）'), ('settlement', '交易资金结算账户'), ('deposits', '保证金专户'), ('fees', '交易服务费收入'), ('tax', '代扣代缴税费'), ('non_tax', '南水北调水量交易非税收入（F2）'), ('earmarked', '专项用途（F2）'), ('county_reward', '县市区奖励（F2）')], max_length=20, verbose_name='类别')),
                ('name', models.CharField(max_length=200, verbose_name='账户名称')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('region', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.region', verbose_name='行政区')),
            ],
            options={
                'verbose_name': '资金账户',
                'verbose_name_plural': '资金账户',
                'ordering': ['kind', 'code'],
            },
        ),
        migrations.CreateModel(
            name='FundEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(blank=True, max_length=30, null=True, unique=True, verbose_name='凭证号')),
                ('kind', models.CharField(choices=[('deposit', '保证金缴纳'), ('deposit_refund', '保证金退还'), ('deposit_applied', '保证金转价款'), ('price', '受让方付价款'), ('buyer_fee', '受让方服务费'), ('seller_fee', '转让方服务费'), ('settlement', '结算划付（扣税费后）'), ('orderbook', '委托撮合成交价款'), ('snwd_distribution', '南水北调收益分配（F2）'), ('reversal', '冲正')], max_length=20, verbose_name='类型')),
                ('rule', models.CharField(blank=True, help_text='F1 转让方；F2 南水北调非税收入；F3 收储出资方', max_length=4, verbose_name='适用规则')),
                ('memo', models.CharField(max_length=300, verbose_name='摘要')),
                ('reference', models.CharField(blank=True, max_length=80, verbose_name='凭证/流水号')),
                ('effective_date', models.DateField(verbose_name='记账日期')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='记账时间')),
                ('is_demo', models.BooleanField(default=False, verbose_name='演示数据')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('payment', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='fund_entry', to='trading.payment', verbose_name='交易资金记录')),
                ('pledge', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='fund_entries', to='finance.pledge', verbose_name='质权人受偿的质押')),
                ('reverses', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reversed_by', to='finance.fundentry', verbose_name='冲正的凭证')),
                ('trade', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='fund_entries', to='trading.trade', verbose_name='交易')),
            ],
            options={
                'verbose_name': '资金凭证',
                'verbose_name_plural': '资金凭证',
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='FundLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='金额（元）')),
                ('memo', models.CharField(blank=True, max_length=200, verbose_name='说明')),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='lines', to='finance.fundaccount')),
                ('entry', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='lines', to='finance.fundentry')),
            ],
            options={
                'ordering': ['entry', 'id'],
            },
        ),
        migrations.AddIndex(
            model_name='fundentry',
            index=models.Index(fields=['trade', 'kind'], name='finance_fundentry_trade_idx'),
        ),
        migrations.AddIndex(
            model_name='fundline',
            index=models.Index(fields=['account', 'entry'], name='finance_fundline_account_idx'),
        ),
        migrations.AddConstraint(
            model_name='fundline',
            constraint=models.CheckConstraint(condition=models.Q(('amount', 0), _negated=True), name='finance_fundline_amount_nonzero', violation_error_message='金额不能为0'),
        ),
    ]
