"""TwitterAPI: posting, comments, retweets and follows, its schema against BFCL's and the reference's lines."""

from __future__ import annotations

import pytest
from bfcl_partial import class_differences, reference_cases, schema_differences

from worlds.social.service import TwitterAPI


@pytest.fixture
def api() -> TwitterAPI:
    service = TwitterAPI()
    service.load_scenario({})
    return service


@pytest.fixture
def john(api: TwitterAPI) -> TwitterAPI:
    assert api.authenticate_twitter("john", "john123") == {"authentication_status": True}
    return api


def test_default_state_matches_reference_defaults(api):
    assert api.state() == {
        "authenticated": False, "comments": {}, "following_list": ["alice", "bob"], "password": "john123",
        "retweets": {}, "tweet_counter": 0, "tweets": {}, "username": "john",
    }


def test_wrong_password_does_not_log_in(api):
    assert api.authenticate_twitter("john", "nope") == {"authentication_status": False}
    assert api.posting_get_login_status() == {"login_status": False}


@pytest.mark.parametrize(("tool", "args", "action"), [
    ("post_tweet", {"content": "x"}, "posting"),
    ("retweet", {"tweet_id": 0}, "retweeting"),
    ("comment", {"tweet_id": 0, "comment_content": "x"}, "commenting"),
    ("follow_user", {"username_to_follow": "x"}, "following"),
    ("unfollow_user", {"username_to_unfollow": "x"}, "unfollowing"),
    ("list_all_following", {}, "listing following"),
])
def test_writes_need_authentication(api, tool, args, action):
    assert api.invoke(tool, args).value == {"error": f"User not authenticated. Please authenticate before {action}."}


def test_post_numbers_from_counter(john):
    john.tweet_counter = 7
    tweet = john.post_tweet("hello", tags=["#hi"])
    assert tweet == {"id": 7, "username": "john", "content": "hello", "tags": ["#hi"], "mentions": []}
    assert (john.tweet_counter, john.get_tweet(7)) == (8, tweet)


def test_default_lists_are_not_shared_between_tweets(john):
    john.post_tweet("a")
    john.post_tweet("b")
    john.mention(0, ["@x"])
    assert (john.get_tweet(0)["mentions"], john.get_tweet(1)["mentions"]) == (["@x"], [])


def test_scenario_tweet_keys_become_integers(api):
    api.load_scenario({"tweets": {"3": {"id": 3, "username": "u", "content": "c", "tags": [], "mentions": []}}})
    assert api.get_tweet(3)["content"] == "c"
    assert api.get_tweet(4) == {"error": "Tweet with ID 4 not found."}


def test_retweet_once(john):
    john.post_tweet("a")
    assert john.retweet(0) == {"retweet_status": "Successfully retweeted"}
    assert john.retweet(0) == {"retweet_status": "Already retweeted"}
    assert john.retweet(5) == {"error": "Tweet with ID 5 not found."}
    assert john.get_user_stats("john") == {"tweet_count": 1, "following_count": 2, "retweet_count": 1}


def test_comments_are_listed_per_tweet(john):
    john.post_tweet("a")
    assert john.comment(0, "nice") == {"comment_status": "Comment added successfully"}
    assert john.get_tweet_comments(0) == [{"username": "john", "content": "nice"}]
    assert john.get_tweet_comments(1) == {"error": "Tweet with ID 1 not found."}


def test_loaded_comments_keep_string_keys_and_a_new_comment_replaces_them_in_state(john):
    # As in the reference: loaded comments are keyed "0", new ones 0, and JSON state keeps the later.
    john.load_scenario({"authenticated": True, "tweets": {"0": {"id": 0, "username": "u", "content": "c", "tags": [], "mentions": []}},
                        "comments": {"0": [{"username": "u", "content": "old"}]}})
    assert john.get_tweet_comments(0) == []
    john.comment(0, "new")
    assert john.state()["comments"] == {"0": [{"username": "john", "content": "new"}]}


def test_mention_needs_no_login(api):
    api.tweets[0] = {"id": 0, "username": "u", "content": "c", "tags": [], "mentions": ["@a"]}
    assert api.mention(0, ["@b"]) == {"mention_status": "Users mentioned successfully"}
    assert api.tweets[0]["mentions"] == ["@a", "@b"]


def test_follow_and_unfollow(john):
    assert john.follow_user("carol") == {"follow_status": True}
    assert john.follow_user("carol") == {"follow_status": False}
    assert john.unfollow_user("alice") == {"unfollow_status": True}
    assert john.unfollow_user("alice") == {"unfollow_status": False}
    assert john.list_all_following() == {"following_list": ["bob", "carol"]}


def test_search_matches_content_or_tags_case_insensitively(john):
    john.post_tweet("Road trip", tags=["#Fun"])
    john.post_tweet("home", tags=["#road"])
    john.post_tweet("other")
    assert [t["id"] for t in john.search_tweets("ROAD")] == [0]
    assert [t["id"] for t in john.search_tweets("#ROAD")] == [1]
    assert [t["id"] for t in john.get_user_tweets("john")] == [0, 1, 2]


def test_stats_of_another_user_count_no_following(john):
    assert john.get_user_stats("zed") == {"tweet_count": 0, "following_count": 0, "retweet_count": 0}


def test_tools_yaml_agrees_with_bfcl_func_doc(bfcl_dir):
    assert schema_differences(TwitterAPI, bfcl_dir / "multi_turn_func_doc" / "posting_api.json") == []


def test_reference_entries_replay(bfcl_dir):
    cases = reference_cases(bfcl_dir, "TwitterAPI")
    assert cases
    assert [d for case in cases for d in class_differences(TwitterAPI, *case)] == []
