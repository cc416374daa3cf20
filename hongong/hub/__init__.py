"""A class on JupyterHub: learners as local system users, nbgrader's exchange, and a grading service.

Who runs it: the machine's administrator (root) starts the hub (``make hub``); the hub starts and stops the grading
service (:mod:`hongong.hub.service`, a JupyterHub-managed service) and each user's JupyterLab, as that user.

- :mod:`hongong.hub.place`: where the hub keeps its state, the exchange and the course, and who may read what;
- :mod:`hongong.hub.users`: learners (and the instructor) as local system users, from a roster CSV;
- ``hongong/hub/jupyterhub_config.py``: the hub's configuration (``jupyterhub -f``);
- :mod:`hongong.hub.service`: watches the exchange's inbound folder and grades each submission with the same engine
  as ``make grade`` (:mod:`hongong.grading.classroom`), under the course's rules (:mod:`hongong.grading.attempts`),
  then releases the feedback so that the learner's "Fetch Feedback" shows it. Its parts: :mod:`hongong.hub.intake`
  (which folders it takes up, fairly per account), :mod:`hongong.hub.inbound` (what it takes from a folder),
  :mod:`hongong.hub.slots` (one grading command per learner, side by side), :mod:`hongong.hub.pages` (the pages it
  releases) and :mod:`hongong.hub.web` (its HTTP side).
"""
