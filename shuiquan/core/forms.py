from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from .auth import client_address, is_locked_out, record_failure


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput)

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        username = self.cleaned_data.get("username", "")
        password = self.cleaned_data.get("password", "")
        address = client_address(self.request)
        if is_locked_out(username, address):
            raise forms.ValidationError(
                _("登录失败次数过多，请稍后再试。Too many failed logins; try again later."), code="locked_out"
            )
        user = authenticate(self.request, username=username, password=password)
        if user is None:
            record_failure(username, address)
            raise forms.ValidationError(_("用户名或密码错误。Wrong username or password."), code="invalid_login")
        self.user = user
        return self.cleaned_data


class ConfigForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput)
    value = forms.CharField(label=_("值"), max_length=500)
