import hashlib
import secrets
import uuid
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from schedules.recurrence import parse_time_zone


def validate_time_zone(value: str) -> None:
    try:
        parse_time_zone(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class Organization(models.Model):
    """The tenant (the "customer" of the public API): owns everything else."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    """E-mail addresses are stored lower-case and compared case-insensitively everywhere
    (unique on ``Lower("email")``): ``with_email`` is the one way to find a user by address."""

    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return (email or "").strip().lower()

    def with_email(self, email: str) -> models.QuerySet:
        """The user whose address is ``email`` whatever its case (by the unique index)."""
        return self.alias(email_lower=Lower("email")).filter(
            email_lower=self.normalize_email(email)
        )

    def get_by_natural_key(self, email: str):
        # Signing in (ModelBackend) and every other natural-key lookup ignore case.
        return self.with_email(email).get()

    def create_user(self, email: str, password: str | None = None, **fields):
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        ADMIN = "admin"
        MEMBER = "member"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="users", null=True, blank=True
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="IANA name for the pages and personal schedules; blank: the browser's, else UTC.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()
    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ignoring_case",
                violation_error_message="A user with this e-mail address already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = User.objects.normalize_email(self.email)

    # The scopes of the API token this request authenticated with (None: a signed-in session,
    # which has every scope its role allows). Set by ``BearerTokenAuthentication``.
    token_scopes: frozenset[str] | None = None

    @property
    def is_org_admin(self) -> bool:
        """An admin of their organization, acting with the power to administer it (a token
        without the ``admin`` scope acts as a member)."""
        if self.role != self.Role.ADMIN:
            return False
        return self.token_scopes is None or TokenScope.ADMIN in self.token_scopes


class Team(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="team_unique_name_per_org"
            )
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    class Role(models.TextChoices):
        MANAGER = "manager"  # changes the team's rulesets, schedules, policies and settings
        RESPONDER = "responder"  # answers its incidents

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.RESPONDER)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="team_member_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class Invitation(models.Model):
    """A single-use link, valid 7 days, for a new person to set their name and password.

    The membership exists from the start (its user inactive, without a password) so that its id
    can be answered at once and scheduled; accepting activates the user.
    """

    VALID_FOR = timedelta(days=7)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team_member = models.OneToOneField(
        TeamMember, on_delete=models.CASCADE, related_name="invitation"
    )
    email = models.EmailField()
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(default=timezone.now, help_text="Last (re)sent.")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation of {self.email}"

    @property
    def pending(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class TokenScope(models.TextChoices):
    READ = "read"  # GET and HEAD
    WRITE = "write"  # every other method
    ADMIN = "admin"  # what the user may do as an organization admin


ALL_SCOPES = [scope.value for scope in TokenScope]


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A bearer token: stored as a SHA-256 hash, shown once, revocable, optionally expiring."""

    PREFIX = "ph_"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list, help_text="Any of read, write, admin.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name or 'token'} of {self.user}"

    @classmethod
    def issue(
        cls,
        user: User,
        *,
        name: str = "",
        scopes: list[str] | None = None,
        expires_at=None,
    ) -> tuple["ApiToken", str]:
        """Create a token (every scope unless told); the raw secret is returned once and never
        stored."""
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            token_hash=hash_token(raw),
            scopes=ALL_SCOPES if scopes is None else sorted(set(scopes)),
            expires_at=expires_at,
        )
        return token, raw
