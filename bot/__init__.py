"""How newsbot talks: answers with citations, and the front ends that deliver them."""
