"""TwitterAPI: one account that posts, comments, retweets, mentions and follows.

Behaviour, result shapes and messages follow the BFCL reference backend (``posting_api``).
Tweets are keyed by integer id (scenario keys are converted, as the reference does); comments
made here are keyed by integer id while comments loaded from a scenario keep their string
keys, so, as in the reference, a loaded comment list is not found again by id and a new
comment on that tweet starts a list that replaces it in the JSON state.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simtool.service import OMITTED, Service, ServiceContext

__all__ = ["TwitterAPI", "DEFAULT_ACCOUNT"]

DEFAULT_ACCOUNT = {"username": "john", "password": "john123", "following_list": ("alice", "bob")}


def _refusal(action: str) -> dict[str, str]:
    return {"error": f"User not authenticated. Please authenticate before {action}."}


def _not_found(tweet_id: int) -> dict[str, str]:
    return {"error": f"Tweet with ID {tweet_id} not found."}



class TwitterAPI(Service):
    """The account (``username``, ``password``, ``authenticated``) and everything it posted."""

    name = "TwitterAPI"
    domain = "social"
    schema_path = Path(__file__).with_name("tools.yaml")

    def __init__(self, ctx: ServiceContext | None = None) -> None:
        super().__init__(ctx)
        self.username: str = DEFAULT_ACCOUNT["username"]
        self.password: str = DEFAULT_ACCOUNT["password"]
        self.authenticated: bool = False
        self.tweets: dict[int, dict[str, Any]] = {}
        self.comments: dict[Any, list[dict[str, Any]]] = {}
        self.retweets: dict[str, list[int]] = {}
        self.following_list: list[str] = list(DEFAULT_ACCOUNT["following_list"])
        # Ids of new tweets; it need not equal len(tweets) in a scenario.
        self.tweet_counter: int = 0

    def load_scenario(self, scenario: Mapping[str, Any]) -> None:
        self.username = scenario.get("username", DEFAULT_ACCOUNT["username"])
        self.password = scenario.get("password", DEFAULT_ACCOUNT["password"])
        self.authenticated = scenario.get("authenticated", False)
        self.tweets = {int(key): tweet for key, tweet in scenario.get("tweets", {}).items()}
        self.comments = dict(scenario.get("comments", {}))
        self.retweets = dict(scenario.get("retweets", {}))
        self.following_list = list(scenario.get("following_list", DEFAULT_ACCOUNT["following_list"]))
        self.tweet_counter = scenario.get("tweet_counter", 0)

    # -- session ---------------------------------------------------------------------------

    def authenticate_twitter(self, username: str, password: str) -> dict[str, bool]:
        if (username, password) != (self.username, self.password):
            return {"authentication_status": False}
        self.authenticated = True
        return {"authentication_status": True}

    def posting_get_login_status(self) -> dict[str, bool]:
        return {"login_status": bool(self.authenticated)}

    # -- posting ---------------------------------------------------------------------------

    def post_tweet(self, content: str, tags: Any = OMITTED, mentions: Any = OMITTED) -> dict[str, Any]:
        if not self.authenticated:
            return _refusal("posting")
        # The reference's defaults are one shared list per parameter (a mutable default), so a
        # later mention() on a tweet posted without mentions would show on every such tweet.
        # No reference line shows that (no gold path mentions on such a tweet), so each tweet
        # gets its own list here. An explicit null is stored as null, as the reference stores it.
        tweet = {
            "id": self.tweet_counter,
            "username": self.username,
            "content": content,
            "tags": [] if tags is OMITTED else (list(tags) if tags is not None else None),
            "mentions": [] if mentions is OMITTED else (list(mentions) if mentions is not None else None),
        }
        self.tweets[self.tweet_counter] = tweet
        self.tweet_counter += 1
        return tweet

    def retweet(self, tweet_id: int) -> dict[str, str]:
        if not self.authenticated:
            return _refusal("retweeting")
        if tweet_id not in self.tweets:
            return _not_found(tweet_id)
        mine = self.retweets.setdefault(self.username, [])
        if tweet_id in mine:
            return {"retweet_status": "Already retweeted"}
        mine.append(tweet_id)
        return {"retweet_status": "Successfully retweeted"}

    def comment(self, tweet_id: int, comment_content: str) -> dict[str, str]:
        if not self.authenticated:
            return _refusal("commenting")
        if tweet_id not in self.tweets:
            return _not_found(tweet_id)
        self.comments.setdefault(tweet_id, []).append({"username": self.username, "content": comment_content})
        return {"comment_status": "Comment added successfully"}

    def mention(self, tweet_id: int, mentioned_usernames: list[str]) -> dict[str, str]:
        # The reference lets anyone mention, logged in or not.
        if tweet_id not in self.tweets:
            return _not_found(tweet_id)
        self.tweets[tweet_id]["mentions"].extend(mentioned_usernames)
        return {"mention_status": "Users mentioned successfully"}

    # -- following -------------------------------------------------------------------------

    def follow_user(self, username_to_follow: str) -> dict[str, Any]:
        if not self.authenticated:
            return _refusal("following")
        if username_to_follow in self.following_list:
            return {"follow_status": False}
        self.following_list.append(username_to_follow)
        return {"follow_status": True}

    def unfollow_user(self, username_to_unfollow: str) -> dict[str, Any]:
        if not self.authenticated:
            return _refusal("unfollowing")
        if username_to_unfollow not in self.following_list:
            return {"unfollow_status": False}
        self.following_list.remove(username_to_unfollow)
        return {"unfollow_status": True}

    def list_all_following(self) -> dict[str, Any]:
        if not self.authenticated:
            return _refusal("listing following")
        return {"following_list": self.following_list}

    # -- reading (no login needed, as in the reference) -------------------------------------

    def get_tweet(self, tweet_id: int) -> dict[str, Any]:
        return self.tweets[tweet_id] if tweet_id in self.tweets else _not_found(tweet_id)

    def get_user_tweets(self, username: str) -> list[dict[str, Any]]:
        return [tweet for tweet in self.tweets.values() if tweet["username"] == username]

    def search_tweets(self, keyword: str) -> list[dict[str, Any]]:
        needle = keyword.lower()
        return [
            tweet
            for tweet in self.tweets.values()
            if needle in tweet["content"].lower() or needle in [tag.lower() for tag in tweet["tags"]]
        ]

    def get_tweet_comments(self, tweet_id: int) -> Any:
        """The tweet's comments (a list), or an error dict for an unknown tweet."""
        if tweet_id not in self.tweets:
            return _not_found(tweet_id)
        return self.comments.get(tweet_id, [])

    def get_user_stats(self, username: str) -> dict[str, int]:
        return {
            "tweet_count": len(self.get_user_tweets(username)),
            # Only the account's own following list is known.
            "following_count": len(self.following_list) if username == self.username else 0,
            "retweet_count": len(self.retweets.get(username, [])),
        }
