"""The address hashes of a round's responses are deleted when the round is locked (定稿): they only serve the
duplicate guard while answers are collected."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from govassess.web.rounds.models import Round


@receiver(post_save, sender=Round)
def _forget_addresses(sender, instance: Round, **kwargs) -> None:
    if instance.locked:
        from govassess.web.questionnaires.models import QResponse

        QResponse.objects.filter(questionnaire__round=instance).exclude(address_hash="").update(address_hash="")
